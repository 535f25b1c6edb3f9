"""Recording a batch whose polls are mostly 304s, on both databases: the unchanged sources are
written in bulk, and every source ends up exactly as a poll recorded one by one leaves it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event, func, select, update

from tests.integration.helpers import PUTIN, events, run_once, source
from tests.servers import item, rss
from tracker.bootstrap import utcnow
from tracker.domain.sources import SourceSpec
from tracker.domain.statements import Item, Observation
from tracker.services import dispatch
from tracker.services.outcomes import Failed, Parsed, Unchanged
from tracker.services.recording import record_batch
from tracker.services.runtime import Runtime
from tracker.services.sync import sync_sources
from tracker.sources.errors import FetchTimeout
from tracker.storage.models import SourceRow, StatementRow

SPECS = [
    SourceSpec("quiet", "feed", "http://127.0.0.1:9/quiet", 600, ("t",)),
    SourceSpec("slow", "feed", "http://127.0.0.1:9/slow", 120, ("t",), adaptive=(60.0, 480.0)),
    SourceSpec("down", "feed", "http://127.0.0.1:9/down", 600, ("t",)),
    SourceSpec("flaky", "feed", "http://127.0.0.1:9/flaky", 600, ("t",)),
    SourceSpec("broken", "feed", "http://127.0.0.1:9/broken", 600, ("t",)),
]


def _leased_after_a_first_poll(db):
    """Sync SPECS, mark them polled before (validators kept; `down` reported failing, `flaky`
    failed once), and lease them all in one batch."""
    with db.unit_of_work() as uow:
        sync_sources(uow, SPECS, utcnow())
        uow.session.execute(
            update(SourceRow).values(
                last_success_at=utcnow() - timedelta(hours=1),
                etag='"v1"',
                polls=1,
                current_interval=None,
            )
        )
        uow.session.execute(
            update(SourceRow)
            .where(SourceRow.id == "down")
            .values(consecutive_failures=3, failing=True, last_status="error")
        )
        uow.session.execute(
            update(SourceRow).where(SourceRow.id == "flaky").values(consecutive_failures=1)
        )
        (batch,) = dispatch.lease_now(uow, utcnow(), None, batch_size=10, lease_seconds=300)
        uow.commit()
    return batch


def _stored_events(db):
    with db.reader() as uow:
        return uow.events.list(limit=100)


def test_a_batch_of_304s_records_every_source_and_a_failing_one_recovers(db):
    """Every 304 of a batch is recorded unchanged, scheduled one interval on (an adaptive one
    a quarter longer), healthy, counted and released, without loading its row; the one that
    was reported failing raises `source.recovered` in the same batch, beside a failed poll."""
    batch = _leased_after_a_first_poll(db)
    runtime = Runtime(topics=[], routes=[], sources=SPECS)
    now = utcnow()
    outcomes = [
        Unchanged(s.id, s.url, etag='"v2"' if s.id == "quiet" else None)
        for s in SPECS
        if s.id != "broken"
    ]
    outcomes.append(Failed("broken", SPECS[-1].url, FetchTimeout("timed out")))

    loaded: list[str] = []

    def on_load(row: SourceRow, _context: object) -> None:
        loaded.append(row.id)

    event.listen(SourceRow, "load", on_load)
    try:
        with db.unit_of_work() as uow:
            report = record_batch(uow, runtime, batch.token, outcomes, now, queued_by=None)
            uow.commit()
    finally:
        event.remove(SourceRow, "load", on_load)

    assert (report.polled, report.unchanged, report.failed, report.lost) == (5, 4, 1, [])
    assert [(e.type, e.source_id) for e in report.events] == [("source.recovered", "down")]
    assert [(e.type, e.source_id) for e in _stored_events(db)] == [("source.recovered", "down")]
    assert loaded == ["broken"]  # the 304s were written in bulk, no row loaded
    with db.reader() as uow:
        rows = {row.id: row for row in uow.sources.all()}
    for spec in SPECS:
        row = rows[spec.id]
        assert (row.lease_owner, row.lease_until, row.last_polled_at) == (None, None, now)
        assert row.polls == 2
        if spec.id == "broken":
            assert (row.last_status, row.consecutive_failures, row.failing) == ("error", 1, False)
            continue
        assert (row.last_status, row.last_success_at) == ("unchanged", now)
        assert (row.consecutive_failures, row.failing) == (0, False)
        interval = 150.0 if spec.id == "slow" else spec.interval  # 120 s, a quiet poll
        assert row.current_interval == (150.0 if spec.id == "slow" else None)
        due_in = (row.next_poll_at - now).total_seconds()
        assert interval * 0.95 <= due_in <= interval * 1.05
    assert rows["quiet"].etag == '"v2"'  # a 304 that names its ETag updates it
    assert rows["flaky"].etag == '"v1"'  # one that does not keeps the one stored


def test_a_304_whose_lease_was_taken_is_not_recorded(db):
    """A 304 of a source whose lease ran out and went to another batch records nothing: the
    source stays leased to the other batch, and the rest of the batch is recorded."""
    batch = _leased_after_a_first_poll(db)
    with db.unit_of_work() as uow:
        uow.session.execute(
            update(SourceRow).where(SourceRow.id == "quiet").values(lease_owner="p:other")
        )
        uow.commit()
    runtime = Runtime(topics=[], routes=[], sources=SPECS)
    outcomes = [Unchanged(s.id, s.url) for s in SPECS]

    with db.unit_of_work() as uow:
        report = record_batch(uow, runtime, batch.token, outcomes, utcnow(), queued_by=None)
        uow.commit()

    assert (report.polled, report.lost) == (4, ["quiet"])
    with db.reader() as uow:
        quiet = uow.sources.get("quiet")
    assert quiet is not None
    assert (quiet.lease_owner, quiet.polls, quiet.last_polled_at) == ("p:other", 1, None)


def _parsed(source_id: str, keys: list[str]) -> Parsed:
    items = [Item(key=k, title=f"Item {k}", text=f"The text of item {k}.") for k in keys]
    url = f"http://127.0.0.1:9/{source_id}"
    return Parsed(source_id, url, [Observation.of(i) for i in items], f"hash-{source_id}")


def _savepoints(db, run):
    """Run `run()`; return how many SAVEPOINTs it opened on the database."""
    opened: list[str] = []

    def on_execute(_conn, _cursor, statement, *_args) -> None:
        if statement.lstrip().upper().startswith("SAVEPOINT"):
            opened.append(statement)

    event.listen(db.engine, "before_cursor_execute", on_execute)
    try:
        result = run()
    finally:
        event.remove(db.engine, "before_cursor_execute", on_execute)
    return result, len(opened)


def _record_parsed(db, batch, outcomes):
    runtime = Runtime(topics=[], routes=[], sources=SPECS)

    def run():
        with db.unit_of_work() as uow:
            report = record_batch(uow, runtime, batch.token, outcomes, utcnow(), queued_by=None)
            uow.commit()
        return report

    return _savepoints(db, run)


def _statement_counts(db) -> dict[str, int]:
    with db.reader() as uow:
        query = select(StatementRow.source_id, func.count()).group_by(StatementRow.source_id)
        return dict(uow.session.execute(query).all())


def test_a_batch_with_new_content_everywhere_is_recorded_in_one_savepoint(db):
    """A clean batch of sources that all brought new items is written at once: one
    savepoint for the batch, not one per source (issue 13: 2,020 of them made a first cycle
    over 1,000 pages take 17 s), and every source's items are stored."""
    batch = _leased_after_a_first_poll(db)
    outcomes = [_parsed(s.id, [f"{s.id}-1", f"{s.id}-2"]) for s in SPECS]

    report, savepoints = _record_parsed(db, batch, outcomes)

    assert (report.polled, report.failed, report.lost) == (5, 0, [])
    assert savepoints == 1
    assert _statement_counts(db) == {s.id: 2 for s in SPECS}


def test_a_source_whose_items_cannot_be_stored_costs_only_itself(db):
    """When one source's items break a constraint of the database (here a feed that sends
    one item key twice), the batch is recorded again source by source: the others' items
    are stored and healthy, and that one alone is marked failing with the error's kind."""
    batch = _leased_after_a_first_poll(db)
    outcomes = [_parsed(s.id, [f"{s.id}-1"]) for s in SPECS if s.id != "broken"]
    outcomes.append(_parsed("broken", ["same", "same"]))

    report, savepoints = _record_parsed(db, batch, outcomes)

    assert (report.polled, report.failed, report.lost) == (5, 1, [])
    assert savepoints > 1  # the batch's, then one per source
    assert _statement_counts(db) == {s.id: 1 for s in SPECS if s.id != "broken"}
    with db.reader() as uow:
        rows = {row.id: row for row in uow.sources.all()}
    broken = rows.pop("broken")
    assert broken.last_status == "error"
    assert broken.last_error == "internal error while recording: IntegrityError"
    assert (broken.lease_owner, broken.polls) == (None, 2)
    for row in rows.values():
        assert (row.last_status, row.lease_owner, row.polls) == ("ok", None, 2)
        assert row.content_hash == f"hash-{row.id}"


def test_a_failing_feed_that_comes_back_unchanged_recovers(config_dir, feeds, make_tracker):
    """A feed reported failing whose server comes back with the very content it had answers
    the stored ETag with 304, and that poll reports the source recovered, once."""
    feeds.set("/wire.xml", rss(item("g1", "Putin agrees to energy halt", PUTIN)))
    config_dir.sources([config_dir.feed("wire", feeds.url("/wire.xml"))])
    tracker = make_tracker()
    run_once(tracker)
    good = feeds.resources["/wire.xml"]
    feeds.set("/wire.xml", b"oops", status=500, content_type="text/plain")
    for _ in range(3):
        run_once(tracker)
    assert source(tracker, "wire").failing
    feeds.resources["/wire.xml"] = good

    run_once(tracker)
    run_once(tracker)

    assert feeds.requests[-1][1].get("If-None-Match", "").startswith('"')
    kinds = ("source.failing", "source.recovered")
    assert [e.type for e in events(tracker, *kinds)] == ["source.failing", "source.recovered"]
    row = source(tracker, "wire")
    assert (row.last_status, row.consecutive_failures, row.failing) == ("unchanged", 0, False)
