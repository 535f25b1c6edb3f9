"""Per-host politeness shared by every dispatcher: requests in flight and requests a second per
host, kept in the database or in Redis; a source denied a slot comes back a little later."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler

import pytest

from tests.conftest import RUN_ID, RedisTarget
from tests.integration.helpers import run_once, source
from tests.servers import item, rss
from tracker.bootstrap import utcnow
from tracker.domain.politeness import HostPolicy, Politeness
from tracker.domain.sources import SourceSpec
from tracker.services import dispatch
from tracker.services.sync import sync_sources
from tracker.storage.database import Database
from tracker.storage.host_budget import RedisHostBudget


@pytest.fixture(params=["database", "redis"])
def budget(request: pytest.FixtureRequest) -> Iterator[RedisHostBudget | None]:
    """Where the buckets live: the database (None) or the run's Redis (its buckets deleted)."""
    if request.param == "database":
        yield None
        return
    target: RedisTarget = request.getfixturevalue("redis_target")
    url, prefix = target.fresh_url(), f"tracker-test-{RUN_ID}:"
    redis_budget = RedisHostBudget(url, prefix=prefix)
    yield redis_budget
    redis_budget.close()
    target.forget(url, f"{prefix}*")


def _host() -> str:
    return f"h{uuid.uuid4().hex[:12]}.example"  # a fresh bucket in Redis on every run


def _sources(db: Database, at: datetime, **hosts: tuple[str, int]) -> list[str]:
    """Configure sources: prefix=(host, how many)."""
    specs = [
        SourceSpec(f"{prefix}{i:02d}", "feed", f"http://{host}/{i}.xml", 60, ("t",))
        for prefix, (host, n) in hosts.items()
        for i in range(n)
    ]
    with db.unit_of_work() as uow:
        sync_sources(uow, specs, at)
        uow.commit()
    return [s.id for s in specs]


def _dispatch(db: Database, at: datetime, rules: Politeness, budget) -> list[str]:
    with db.unit_of_work() as uow:
        batches = dispatch.lease_due(
            uow,
            at,
            batch_size=100,
            max_batches=5,
            lease_seconds=300,
            politeness=rules,
            budget=budget,
        )
        uow.commit()
    return sorted(i for b in batches for i in b.source_ids)


def _release_all(db: Database) -> None:
    """The leased sources' polls are recorded: leases given back, due again in a minute."""
    with db.unit_of_work() as uow:
        for row in uow.sources.all():
            if row.lease_owner is not None:
                row.next_poll_at = row.next_poll_at + timedelta(seconds=60)
                row.lease_owner = row.lease_until = None
        uow.commit()


def _due_at(db: Database) -> dict[str, datetime]:
    with db.reader() as uow:
        return {r.id: r.next_poll_at for r in uow.sources.all()}


def test_a_host_gets_no_more_requests_in_flight_than_its_concurrency(db, budget):
    """Ten due sources on a host that takes two at once: two are leased, the other eight are
    due again within seconds (not slept on); while two are in flight, nothing more goes."""
    host, t0 = _host(), utcnow()
    _sources(db, t0, s=(host, 10))
    rules = Politeness(hosts={host: HostPolicy(rate=1000, burst=1000, concurrency=2)})
    first = _dispatch(db, t0, rules, budget)
    assert len(first) == 2
    deferred = {k: v for k, v in _due_at(db).items() if k not in first}
    assert all(
        t0 + timedelta(seconds=1) <= at <= t0 + timedelta(seconds=5) for at in deferred.values()
    )
    later = max(deferred.values()) + timedelta(milliseconds=1)
    assert _dispatch(db, later, rules, budget) == []  # both still in flight: wait again
    assert min(_due_at(db)[k] for k in deferred) > later
    _release_all(db)  # their polls are recorded
    second = _dispatch(db, later + timedelta(seconds=5), rules, budget)
    assert len(second) == 2
    assert not set(first) & set(second)


def test_a_host_gets_no_more_requests_a_second_than_its_rate(db, budget):
    """A host that takes one request a second with three saved up: three at first, then one
    more for each second, whichever dispatcher asks."""
    host, t0 = _host(), utcnow()
    _sources(db, t0, s=(host, 10))
    rules = Politeness(hosts={host: HostPolicy(rate=1.0, burst=3, concurrency=100)})
    assert len(_dispatch(db, t0, rules, budget)) == 3
    _release_all(db)
    # another dispatcher half a second later: half a request saved, none to give
    assert _dispatch(db, t0 + timedelta(seconds=0.5), rules, budget) == []
    # every deferred source is due within 1.5 s; at 2 s the bucket holds two requests
    assert len(_dispatch(db, t0 + timedelta(seconds=2), rules, budget)) == 2


def test_a_slow_host_does_not_hold_back_another(db, budget):
    """A host that takes one request at a time gets one; another host, on the default policy
    (four at once), gets four in the same dispatch."""
    slow, fast, t0 = _host(), _host(), utcnow()
    _sources(db, t0, slow=(slow, 5), fast=(fast, 6))
    rules = Politeness(hosts={slow: HostPolicy(rate=0.1, burst=1, concurrency=1)})
    leased = _dispatch(db, t0, rules, budget)
    assert [i for i in leased if i.startswith("slow")] == ["slow00"]
    assert len([i for i in leased if i.startswith("fast")]) == 4


def test_concurrent_dispatchers_share_one_budget(db, budget):
    """Four dispatchers at once over 40 sources of one host with a burst of 6: six leased in
    all, none twice."""
    host, t0 = _host(), utcnow()
    _sources(db, t0, s=(host, 40))
    rules = Politeness(hosts={host: HostPolicy(rate=0.01, burst=6, concurrency=100)})
    leased: list[str] = []
    lock, start = threading.Lock(), threading.Barrier(4)

    def dispatcher() -> None:
        start.wait()
        got = _dispatch(db, t0, rules, budget)
        with lock:
            leased.extend(got)

    threads = [threading.Thread(target=dispatcher) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(leased) == len(set(leased)) == 6


def test_a_poll_now_fetches_no_more_at_once_from_a_host_than_it_takes(
    config_dir, feeds, make_tracker
):
    """`tracker poll --once` leases every source at once; the fetcher still sends a host no
    more requests at a time than its concurrency allows, and every source is polled."""
    lock, state = threading.Lock(), {"now": 0, "most": 0}

    def slow_feed(req: BaseHTTPRequestHandler) -> None:
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        time.sleep(0.2)
        body = rss(item(req.path, "Putin and the ceasefire", "Putin spoke of a ceasefire."))
        req.send_response(200)
        req.send_header("Content-Type", "application/rss+xml")
        req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        req.wfile.write(body)
        with lock:
            state["now"] -= 1

    for i in range(6):
        feeds.set(f"/f{i}.xml", handler=slow_feed)
    config_dir.sources(
        [config_dir.feed(f"f{i}", feeds.url(f"/f{i}.xml")) for i in range(6)],
        politeness={"hosts": {"127.0.0.1": {"concurrency": 2}}},
    )
    tracker = make_tracker()
    summary = run_once(tracker)
    assert summary.polled == 6
    assert state["most"] == 2
    assert all(source(tracker, f"f{i}").last_status == "ok" for i in range(6))


def test_an_adaptive_source_is_polled_more_often_while_busy_and_less_while_quiet(
    config_dir, feeds, make_tracker
):
    """interval 120 s within 60 s .. 480 s: a poll with a new item halves it, quiet polls
    lengthen it by a quarter each, and the API shows the interval in use."""
    feeds.set("/wire.xml", rss(item("g1", "Weather", "Sunny skies in Paris.")))
    config_dir.sources(
        [
            config_dir.feed(
                "wire", feeds.url("/wire.xml"), interval=120, adaptive={"min": 60, "max": 480}
            )
        ]
    )
    tracker = make_tracker()

    def next_in() -> float:
        row = source(tracker, "wire")
        return (row.next_poll_at - row.last_polled_at).total_seconds()

    run_once(tracker)  # the first poll only learns what is there
    assert 120 * 0.94 <= next_in() <= 120 * 1.06
    feeds.set(
        "/wire.xml",
        rss(item("g1", "Weather", "Sunny skies in Paris."), item("g2", "Rain", "Rain in Rome.")),
    )
    run_once(tracker)
    assert 60 * 0.94 <= next_in() <= 60 * 1.06
    assert source(tracker, "wire").current_interval == 60
    for expected in (75, 93.75, 117.1875):
        run_once(tracker)  # 304: quiet
        assert source(tracker, "wire").current_interval == expected
    assert source(tracker, "wire").last_status == "unchanged"


def test_syncing_an_unchanged_configuration_changes_nothing(db):
    """Every option a source may carry survives the round trip through the table: syncing
    the same configuration again reports no source updated (and so resets nothing)."""
    spec = SourceSpec(
        "busy",
        "page",
        "http://e.org/news",
        120,
        ("t",),
        speaker="Kremlin",
        name="News",
        headers={"Authorization": "secret"},
        extract={"follow": "ul a", "max_follow": "5"},
        adaptive=(60.0, 480.0),
        credible=False,
        noise={"ignore": ["x+"], "min_change": 3, "flip_flop": 2},
    )
    with db.unit_of_work() as uow:
        assert sync_sources(uow, [spec], utcnow()).added == ["busy"]
        uow.commit()
    with db.unit_of_work() as uow:
        report = sync_sources(uow, [spec], utcnow())
        uow.commit()
    assert (report.added, report.updated, report.disabled) == ([], [], [])


def test_a_redis_key_prefix_gives_each_tracker_its_own_buckets(redis_target):
    """Two trackers sharing one Redis database under different TRACKER_REDIS_KEY_PREFIX values
    each get a host's whole burst: neither spends from the other's bucket."""
    url, host = redis_target.fresh_url(), _host()
    rules = Politeness(hosts={host: HostPolicy(rate=0.01, burst=3, concurrency=100)})
    prefixes = [f"tracker-test-{RUN_ID}-a:", f"tracker-test-{RUN_ID}-b:"]
    budgets = [RedisHostBudget(url, prefix=prefix) for prefix in prefixes]
    try:
        now = time.time()
        assert [b.spend({host: 3}, now, rules)[host].granted for b in budgets] == [3, 3]
        assert budgets[0].spend({host: 1}, now, rules)[host].granted == 0  # its own, spent
    finally:
        for budget in budgets:
            budget.close()
        redis_target.forget(url, *(f"{prefix}*" for prefix in prefixes))
