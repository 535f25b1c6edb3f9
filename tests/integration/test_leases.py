"""Leases under concurrency: dispatchers racing for the same due sources never share one."""

from __future__ import annotations

import threading
from datetime import timedelta

from tracker.bootstrap import utcnow
from tracker.domain.politeness import HostPolicy, Politeness
from tracker.domain.sources import SourceSpec
from tracker.services import dispatch
from tracker.services.sync import sync_sources

# These tests are about leases: one host (127.0.0.1) may take every source at once.
UNLIMITED = Politeness(HostPolicy(rate=1e6, burst=10**6, concurrency=10**6))


def test_concurrent_dispatchers_lease_each_source_once(db):
    """Eight threads leasing 500 due sources at once end up with disjoint batches covering all."""
    specs = [
        SourceSpec(f"s{i:03d}", "feed", f"http://127.0.0.1:9/{i}", 60, ("t",)) for i in range(500)
    ]
    with db.unit_of_work() as uow:
        sync_sources(uow, specs, utcnow() - timedelta(seconds=1))
        uow.commit()
    leased: list[list[str]] = []
    lock, start = threading.Lock(), threading.Barrier(8)

    def dispatcher() -> None:
        start.wait()
        for _ in range(20):
            with db.unit_of_work() as uow:
                batches = dispatch.lease_due(
                    uow,
                    utcnow(),
                    batch_size=10,
                    max_batches=2,
                    lease_seconds=300,
                    politeness=UNLIMITED,
                )
                uow.commit()
            with lock:
                leased.extend(b.source_ids for b in batches)

    threads = [threading.Thread(target=dispatcher) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = [source_id for batch in leased for source_id in batch]
    assert len(ids) == len(set(ids)) == 500


def test_a_lease_runs_out_and_the_source_can_be_leased_again(db):
    """A crashed holder's lease expires: after lease_seconds the source is due to someone else."""
    with db.unit_of_work() as uow:
        sync_sources(uow, [SourceSpec("a", "feed", "http://127.0.0.1:9/a", 60, ("t",))], utcnow())
        (first,) = dispatch.lease_due(uow, utcnow(), batch_size=10, max_batches=1, lease_seconds=30)
        uow.commit()
    with db.unit_of_work() as uow:
        assert (
            dispatch.lease_due(uow, utcnow(), batch_size=10, max_batches=1, lease_seconds=30) == []
        )
        later = utcnow() + timedelta(seconds=31)
        (second,) = dispatch.lease_due(uow, later, batch_size=10, max_batches=1, lease_seconds=30)
        uow.commit()
    assert first.source_ids == second.source_ids == ["a"]
    assert first.token != second.token


def test_removed_sources_are_disabled_not_deleted(db):
    """A source dropped from the config keeps its history and is never leased again."""
    a, b = (SourceSpec(x, "feed", f"http://127.0.0.1:9/{x}", 60, ("t",)) for x in "ab")
    with db.unit_of_work() as uow:
        sync_sources(uow, [a, b], utcnow())
        report = sync_sources(uow, [a], utcnow())
        batches = dispatch.lease_now(uow, utcnow(), None, batch_size=10, lease_seconds=30)
        uow.commit()
    assert report.disabled == ["b"]
    assert [s for batch in batches for s in batch.source_ids] == ["a"]
    with db.reader() as uow:
        row = uow.sources.get("b")
        assert row is not None
        assert not row.enabled


def test_each_dispatched_batch_is_committed_before_it_is_sent(db):
    """The dispatcher leases a tick's due sources a batch at a time: when a batch is sent to
    the workers its lease is already committed (a worker's own connection sees it), and the
    sources of later batches are not leased yet, so the first polls start at once."""
    specs = [
        SourceSpec(f"s{i:02d}", "feed", f"http://127.0.0.1:9/{i}", 60, ("t",)) for i in range(25)
    ]
    with db.unit_of_work() as uow:
        sync_sources(uow, specs, utcnow() - timedelta(seconds=1))
        uow.commit()
    seen: list[tuple[int, int]] = []

    def send(batch: dispatch.Batch) -> None:
        with db.reader() as uow:  # another connection: only committed leases show
            held = uow.sources.leased(batch.token, batch.source_ids, utcnow())
            rows = [uow.sources.get(spec.id) for spec in specs]
            leased = sum(1 for row in rows if row is not None and row.lease_owner is not None)
        seen.append((len(held), leased))

    sent = dispatch.dispatch_due(
        db,
        utcnow(),
        send,
        batch_size=10,
        max_batches=5,
        lease_seconds=300,
        politeness=UNLIMITED,
    )
    assert sent == 25
    assert seen == [(10, 10), (10, 20), (5, 25)]
