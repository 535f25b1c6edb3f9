"""Bad input through the whole pipeline: every misbehaving source is polled in one batch beside
a good feed, and each gets its own clear outcome on record, in bounded time and memory, while
the good feed alerts as if nothing had happened.

One run per database polls everything twice (the first poll as `tracker poll --once` in its
own process, so its time and peak memory are its own; the second inline); the tests below
each read one source's part of what those polls recorded and sent.
"""

from __future__ import annotations

import email.utils
import os
import subprocess
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ConfigDir, _truncate
from tests.integration.helpers import (
    PUTIN,
    events,
    json_channel,
    run_once,
    source,
    statements,
    versions,
)
from tests.servers import FeedServer, Receiver, drip, endless, gzip_bomb, item, rss
from tracker.bootstrap import Tracker, bootstrap
from tracker.domain.normalise import clean_text
from tracker.settings import load_settings
from tracker.storage.database import Database
from tracker.storage.models import EventRow, SourceRow, StatementRow
from tracker.storage.schema import migrate

Q, D = "\u2019", "\u2014"  # the typographic apostrophe and dash that mojibake mangles first
TRACKER = str(Path(sys.executable).with_name("tracker"))
CAP = 8_000_000  # bytes: the 10,000-item feed (2.2 MB) fits, the bomb and endless body do not
SETTINGS = {
    "fetch_connect_timeout": 1,
    "fetch_read_timeout": 1.5,  # a byte a second never trips the read timeout...
    "fetch_total_timeout": 2,  # ...only the total one
    "max_body_bytes": CAP,
    "failing_after": 2,  # so the second poll reports each broken source to the desk
}
# The drip and the endless body never end, so these bounds hold only if both are cut.
FIRST_POLL_SECONDS = 60  # most of it is storing the 10,000 items, on a busy 2-core machine
SECOND_POLL_SECONDS = 15  # nothing new to store: about the 2 s the drip is given
PEAK_RSS_MB = 400  # MB: ~160 of it is the imports; a 200 MB bomb read whole alone passes it
KINDS = ("statement.new", "statement.edited", "source.failing", "source.recovered")
ROUTES = [{"match": {"types": ["statement.*", "source.*"]}, "channels": ["desk"]}]

GOOD = (
    "Ukrainian President Volodymyr Zelenskiy said Ukraine would support a ceasefire on energy "
    "infrastructure proposed after the Trump-Putin call."
)
HTML_PAGE = (
    "<!DOCTYPE html><html><head><title>Sign in</title></head><body><h1>Putin and the "
    "ceasefire</h1><p>Please sign in to read this page.</p></body></html>"
)
FAILING = {
    "drip": "no complete response within 2 s",
    "endless": f"body passed the {CAP}-byte cap",
    "bomb": f"body passed the {CAP}-byte cap (after decompression)",
    "loop": "more than 5 redirects",
    "page": "not a feed: the server sent an HTML page",
    "disguised": "not a feed: the server sent an HTML page",
}

# source id -> (guid, title, text, the encoding of the bytes, the charset the server claims)
CHARSETS = {
    "utf8-as-latin1": (
        "l1",
        f"Zelenskiy{Q}s €1.2 billion request",
        f"Zelenskiy{Q}s office {D} not the Élysée {D} asked for €1.2 billion for Kyiv.",
        "utf-8",
        "iso-8859-1",
    ),
    "utf8-as-cp1252": (
        "w1",
        f"Kyiv{Q}s envoy at the Élysée",
        f"Kyiv{Q}s envoy {D} Yermak {D} met Élysée staff about the truce.",
        "utf-8",
        "windows-1252",
    ),
    "cp1252-as-utf8": (
        "c1",
        f"Crimea{Q}s bridge closed",
        f"Crimea{Q}s bridge {D} Kyiv{Q}s target {D} cost €3 billion, Ukraine{Q}s navy said.",
        "cp1252",
        "utf-8",
    ),
}


def _old(days: float) -> str:
    return email.utils.formatdate(time.time() - days * 86_400, usegmt=True)


def _big_feed() -> bytes:
    """10,000 relevant items: today's news first, then an archive going back years."""
    news = item("big-0", "Kremlin readout of the Putin call", "Peskov said Putin took the call.")
    archive = [
        item(f"big-{i}", f"Kyiv archive {i}", f"Ukraine bulletin number {i} on Kyiv.", _old(2 + i))
        for i in range(1, 10_000)
    ]
    return rss(news, *archive)


def _utf8_feed() -> bytes:
    """A UTF-8 feed with typographic quotes and dashes, and one item with bytes that are not UTF-8."""
    return (
        (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
            f"<item><guid>u1</guid><title>Zelenskiy{Q}s envoy in Jeddah</title>"
            f"<description>Kyiv{Q}s delegation {D} led by Yermak {D} backed the 30-day truce.</description>"
            "</item><item><guid>u2</guid><title>Kremlin on the call</title><description>"
        ).encode()
        + b"Peskov said the Kremlin \xff\xfe studied it.</description></item></channel></rss>"
    )


def _charset_feed(guid: str, title: str, text: str, encoding: str) -> bytes:
    """A feed whose bytes are in `encoding` and whose XML declaration says UTF-8."""
    return rss(item(guid, title, text)).decode().encode(encoding)


def _without_ids(*order: int) -> bytes:
    """Items with neither guid, link nor date, in the given order."""
    entries = [
        ("Putin on the ceasefire", "Putin said a ceasefire needs guarantees."),
        ("Lavrov on the truce", "Lavrov said Russia studies the truce."),
    ]
    items = (
        f"<item><title>{entries[i][0]}</title><description>{entries[i][1]}</description></item>"
        for i in order
    )
    body = "".join(items)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{body}</channel></rss>'.encode()


def _duplicates(title: str = "Test feed") -> bytes:
    return rss(
        item("same", "Putin agrees to energy halt", PUTIN),
        item("same", "Kremlin: a second item, same guid", "Peskov spoke of the Black Sea truce."),
        title=title,
    )


def _serve(feeds: FeedServer) -> dict[str, str]:
    """Set up one misbehaving path per source (and the good feed); return source id -> URL."""
    feeds.set("/good.xml", rss(item("g1", "Zelenskiy backs energy ceasefire", GOOD)))
    feeds.set("/drip.xml", handler=drip(interval=1.0))
    feeds.set("/endless.xml", handler=endless)
    feeds.set("/bomb.xml", handler=gzip_bomb(200))
    feeds.set("/loop-a", status=302, headers={"Location": "/loop-b"}, validators=False)
    feeds.set("/loop-b", status=302, headers={"Location": "/loop-a"}, validators=False)
    feeds.set("/page.xml", HTML_PAGE, content_type="text/html; charset=utf-8")
    feeds.set("/disguised.xml", HTML_PAGE, content_type="application/rss+xml")
    feeds.set(
        "/mislabelled.xml",
        rss(item("m1", "Kremlin names envoy", "Ushakov will lead the Russian delegation.")),
        content_type="text/html",
    )
    feeds.set("/utf8.xml", _utf8_feed())
    for name, (guid, title, text, encoding, label) in CHARSETS.items():
        feeds.set(
            f"/{name}.xml",
            _charset_feed(guid, title, text, encoding),
            content_type=f"application/rss+xml; charset={label}",
        )
    feeds.set("/big.xml", _big_feed())
    feeds.set("/dupes.xml", _duplicates())
    feeds.set("/noids.xml", _without_ids(0, 1), validators=False)
    names = [
        "good", "drip", "endless", "bomb", "page", "disguised", "mislabelled", "utf8",
        *CHARSETS, "big", "dupes", "noids",
    ]  # fmt: skip
    urls = {name: feeds.url(f"/{name}.xml") for name in names}
    return {**urls, "loop": feeds.url("/loop-a")}


@dataclass
class Snapshot:
    """What one poll left on record, and what the server and the desk channel had seen by then."""

    seconds: float
    sources: dict[str, SourceRow]
    statements: dict[str, list[StatementRow]]  # source id -> its statements
    texts: dict[int, str]  # statement id -> its latest text
    events: list[EventRow]
    alerts: list[dict[str, Any]]
    requests: dict[str, int]  # path -> requests the feed server had answered
    peak_rss_mb: float = 0.0
    output: str = ""

    def of(self, source_id: str, *types: str) -> list[EventRow]:
        """Return this source's events of these types."""
        return [e for e in self.events if e.source_id == source_id and e.type in types]

    def alerts_naming(self, words: str) -> list[dict[str, Any]]:
        """Return the alerts whose title or message carries `words`."""
        return [a for a in self.alerts if words in a["title"] + a["message"]]


@dataclass
class Run:
    """Both polls of one database, and the traced peak memory of polling one source alone."""

    urls: dict[str, str]
    first: Snapshot
    second: Snapshot
    traced_peak: dict[str, int]


def _snapshot(tracker: Tracker, feeds: FeedServer, receiver: Receiver, **extra: Any) -> Snapshot:
    names = [s.id for s in tracker.runtime().sources]
    by_source: dict[str, list[StatementRow]] = {name: [] for name in names}
    for row in statements(tracker):
        by_source[row.source_id].append(row)
    with feeds.lock:
        requests = Counter(path for path, _ in feeds.requests)
    return Snapshot(
        sources={name: source(tracker, name) for name in names},
        statements=by_source,
        texts={v.statement_id: v.text for v in versions(tracker)},  # in order: the latest wins
        events=events(tracker),
        alerts=receiver.messages(),
        requests=dict(requests),
        **extra,
    )


# Linux keeps a process's peak RSS across exec, so a child forked straight from this (large,
# long-running) test process would report at least this process's size. A small launcher
# forks the poll instead, and reports the poll's own peak.
_LAUNCHER = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
print(usage.ru_maxrss, file=open(os.environ["PEAK_RSS_FILE"], "w"))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def _poll_in_own_process(env: dict[str, str], log: Path) -> dict[str, Any]:
    """Run `tracker poll --once`; return its wall time, its own peak RSS (MB) and its output."""
    started = time.monotonic()
    peak = log.with_suffix(".peak")
    with log.open("wb") as out:
        child = subprocess.run(
            [sys.executable, "-c", _LAUNCHER, TRACKER, "poll", "--once"],
            env={**env, "PEAK_RSS_FILE": str(peak)},
            stdout=out,
            stderr=out,
            check=False,
        )
    seconds = time.monotonic() - started
    output = log.read_text(errors="replace")
    assert child.returncode == 0, output
    return {"seconds": seconds, "peak_rss_mb": int(peak.read_text()) / 1024, "output": output}


def _traced_peak(tracker: Tracker, source_id: str) -> int:
    """Poll one source again, inline; return the peak of memory Python allocated meanwhile."""
    tracemalloc.start()
    try:
        run_once(tracker, only=[source_id])
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _database(kind: str, request: pytest.FixtureRequest, tmp: Path) -> str:
    """A migrated, empty database: a SQLite file, or the test run's PostgreSQL database."""
    if kind == "sqlite":
        url = f"sqlite:///{tmp / 'tracker.db'}"
        db = Database(url)
        migrate(db.engine)
        db.dispose()
        return url
    url: str = request.getfixturevalue("pg_url")
    _truncate(url)
    return url


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    """Poll every bad source beside the good one twice, on one database; keep what each left."""
    tmp = tmp_path_factory.mktemp(request.param)
    feeds, receiver = FeedServer(), Receiver()
    tracker = None
    try:
        urls = _serve(feeds)
        config = ConfigDir(tmp / "config")
        config.sources([config.feed(name, url) for name, url in urls.items()])
        config.alerts(channels=[json_channel(receiver.address)], routes=ROUTES)
        settings: dict[str, object] = {
            "database_url": _database(request.param, request, tmp),
            "config_dir": config.path,
            "data_dir": tmp / "var",
            "allowed_networks": "127.0.0.0/8",
            **SETTINGS,
        }
        env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
        env.update({f"TRACKER_{k.upper()}": str(v) for k, v in settings.items()})
        with pytest.MonkeyPatch.context() as mp:  # module scope: the per-test clean-up is not on
            for name in list(os.environ):
                if name.startswith("TRACKER_") and not name.startswith("TRACKER_TEST_"):
                    mp.delenv(name)
            tracker = bootstrap(load_settings(**settings))
        measured = _poll_in_own_process(env, tmp / "poll.log")
        first = _snapshot(tracker, feeds, receiver, **measured)
        # the second poll: new bytes where it matters, so each is read again, not a 304
        feeds.set("/noids.xml", _without_ids(1, 0), validators=False)
        feeds.set("/dupes.xml", _duplicates(title="Test feed, refreshed"))
        started = time.monotonic()
        run_once(tracker)
        second = _snapshot(tracker, feeds, receiver, seconds=time.monotonic() - started)
        peaks = {name: _traced_peak(tracker, name) for name in ("endless", "bomb")}
        yield Run(urls, first, second, peaks)
    finally:
        if tracker is not None:
            tracker.close()
        feeds.close()
        receiver.close()


def test_the_whole_poll_is_bounded_in_time_and_memory(run: Run):
    """The first poll (10,000 items, a drip and a body that never end, a 200 MB bomb) ends
    within a minute in bounded memory; the second, without new items to store, in seconds."""
    ok, failed = len(run.urls) - len(FAILING), len(FAILING)
    assert f"polled {len(run.urls)} source(s): {ok} ok, {failed} with errors" in run.first.output
    assert run.first.seconds < FIRST_POLL_SECONDS, run.first.output
    assert run.first.peak_rss_mb < PEAK_RSS_MB, run.first.output
    assert run.second.seconds < SECOND_POLL_SECONDS


def test_the_good_feed_beside_them_alerts_as_usual(run: Run):
    """The good feed is stored, announced and alerted on its first poll, and is silent after."""
    good = run.first.sources["good"]
    assert (good.last_status, good.last_error, good.consecutive_failures) == ("ok", None, 0)
    assert [s.title for s in run.first.statements["good"]] == ["Zelenskiy backs energy ceasefire"]
    assert [e.type for e in run.first.of("good", *KINDS)] == ["statement.new"]
    assert len(run.first.alerts_naming("Zelenskiy backs energy ceasefire")) == 1
    assert run.second.sources["good"].last_status == "unchanged"
    assert len(run.second.alerts_naming("Zelenskiy backs energy ceasefire")) == 1


@pytest.mark.parametrize("name", list(FAILING))
def test_each_broken_source_records_why_and_is_reported_failing(run: Run, name: str):
    """A broken source records an error a user can act on and counts its failures; the second
    failure in a row raises `source.failing` with that error, alerted to the desk; it stores
    nothing and announces nothing."""
    first, second = run.first.sources[name], run.second.sources[name]
    assert FAILING[name] in (first.last_error or ""), first.last_error
    assert (first.last_status, first.consecutive_failures, first.failing) == ("error", 1, False)
    assert not run.first.of(name, *KINDS)
    assert (second.last_status, second.consecutive_failures, second.failing) == ("error", 2, True)
    (failing,) = run.second.of(name, *KINDS)
    assert failing.type == "source.failing"
    assert FAILING[name] in failing.data["error"]
    (alert,) = run.second.alerts_naming(run.urls[name])
    assert "2 failed polls in a row" in alert["message"]
    assert FAILING[name] in alert["message"]
    assert run.second.statements[name] == []


def test_slow_drip_is_cut_at_the_total_timeout(run: Run):
    """A server that sends a byte a second, forever, is given up at the 2 s limit on each poll,
    so a poll of everything again, drip included, takes seconds."""
    assert run.first.sources["drip"].last_error == "no complete response within 2 s"
    assert run.second.sources["drip"].last_error == "no complete response within 2 s"
    assert run.second.seconds < SECOND_POLL_SECONDS


def test_endless_body_and_gzip_bomb_are_cut_at_the_size_cap(run: Run):
    """A body that never ends and a 200 MB gzip bomb are both stopped at the 8 MB cap."""
    endless, bomb = run.first.sources["endless"], run.first.sources["bomb"]
    assert (endless.last_error or "").startswith(f"body passed the {CAP}-byte cap")
    assert bomb.last_error == f"body passed the {CAP}-byte cap (after decompression)"


def test_an_endless_body_costs_memory_only_up_to_the_cap(run: Run):
    """Polling the endless body alone allocates little more than the cap."""
    assert run.traced_peak["endless"] < 2 * CAP


def test_a_gzip_bomb_costs_memory_only_up_to_the_cap(run: Run):
    """Polling the gzip bomb alone allocates little more than the cap, however far it inflates."""
    assert run.traced_peak["bomb"] < 2 * CAP


def test_redirect_loop_is_followed_only_to_the_cap(run: Run):
    """Two URLs redirecting to each other get six requests (the first and five redirects), then
    the source records that the redirects went on too long."""
    assert run.first.sources["loop"].last_error == "more than 5 redirects"
    assert run.first.requests["/loop-a"] + run.first.requests["/loop-b"] == 6


def test_an_html_page_is_not_a_feed_whatever_its_content_type(run: Run):
    """A sign-in page served as text/html, or disguised as application/rss+xml, is refused as
    "not a feed", even though its text mentions Putin and the ceasefire."""
    for name in ("page", "disguised"):
        assert run.first.sources[name].last_error == "not a feed: the server sent an HTML page"
        assert run.first.statements[name] == []
    assert not run.first.alerts_naming("Putin and the ceasefire")


def test_a_feed_served_as_text_html_is_still_read_as_a_feed(run: Run):
    """A real RSS document that the server labels text/html is read as the feed it is."""
    row = run.first.sources["mislabelled"]
    assert (row.last_status, row.last_error) == ("ok", None)
    assert [s.title for s in run.first.statements["mislabelled"]] == ["Kremlin names envoy"]
    assert len(run.first.alerts_naming("Kremlin names envoy")) == 1


def test_invalid_utf8_costs_only_the_broken_bytes(run: Run):
    """Bytes that are not UTF-8 in a UTF-8 feed become replacement marks in their item; the
    other item keeps its apostrophes and dashes (not mojibake), and both are announced."""
    row = run.first.sources["utf8"]
    assert (row.last_status, row.last_error) == ("ok", None)
    stored = {s.title: run.first.texts[s.id] for s in run.first.statements["utf8"]}
    assert stored == {  # quotes and dashes unified, as the tracker stores every text
        "Zelenskiy's envoy in Jeddah": "Kyiv's delegation - led by Yermak - backed the 30-day truce.",
        "Kremlin on the call": "Peskov said the Kremlin \ufffd\ufffd studied it.",
    }
    assert len(run.first.of("utf8", "statement.new")) == 2
    assert len(run.first.alerts_naming("Zelenskiy's envoy in Jeddah")) == 1


@pytest.mark.parametrize("name", list(CHARSETS))
def test_a_feed_with_the_wrong_charset_is_read_in_the_right_one(run: Run, name: str):
    """UTF-8 labelled ISO-8859-1 or Windows-1252, and Windows-1252 labelled UTF-8, are all
    stored as their authors wrote them (no mojibake), and alert."""
    _, title, text, _, _ = CHARSETS[name]
    row = run.first.sources[name]
    assert (row.last_status, row.last_error) == ("ok", None)
    (stored,) = run.first.statements[name]
    assert (stored.title, run.first.texts[stored.id]) == (clean_text(title), clean_text(text))
    assert len(run.first.alerts_naming(clean_text(title))) == 1


def test_a_10000_item_feed_is_stored_and_its_archive_not_replayed(run: Run):
    """A new source with 10,000 items stores them all, announces only today's (not its
    archive), and is a 304 the next time."""
    row = run.first.sources["big"]
    assert (row.last_status, row.last_error) == ("ok", None)
    assert len(run.first.statements["big"]) == 10_000
    assert [e.data["statement"]["title"] for e in run.first.of("big", *KINDS)] == [
        "Kremlin readout of the Putin call"
    ]
    assert len(run.first.alerts_naming("Kremlin readout of the Putin call")) == 1
    assert not run.first.alerts_naming("Kyiv archive")
    assert run.second.sources["big"].last_status == "unchanged"
    assert len(run.second.statements["big"]) == 10_000


def test_duplicate_guids_keep_the_first_item_once(run: Run):
    """Two items with one guid are one statement (the first), announced once, and stay so when
    the feed is read again."""
    row = run.first.sources["dupes"]
    assert (row.last_status, row.last_error) == ("ok", None)
    assert [s.title for s in run.first.statements["dupes"]] == ["Putin agrees to energy halt"]
    assert [e.type for e in run.first.of("dupes", *KINDS)] == ["statement.new"]
    assert run.second.sources["dupes"].last_status == "ok"  # read again: new bytes
    assert [s.version_count for s in run.second.statements["dupes"]] == [1]
    assert [e.type for e in run.second.of("dupes", *KINDS)] == ["statement.new"]
    assert not run.second.alerts_naming("same guid")


def test_items_without_ids_or_dates_are_news_once_under_stable_keys(run: Run):
    """Items with no guid, link or date are stored under keys made of their content and
    announced (an undated item is news even on a first poll); reordered, they stay the same."""
    row = run.first.sources["noids"]
    assert (row.last_status, row.last_error) == ("ok", None)
    stored = run.first.statements["noids"]
    assert sorted(s.title for s in stored) == ["Lavrov on the truce", "Putin on the ceasefire"]
    assert all(s.key.startswith("sha256:") and s.published_at is None for s in stored)
    assert len(run.first.of("noids", "statement.new")) == 2
    assert len(run.first.alerts_naming("Lavrov on the truce")) == 1
    assert run.second.sources["noids"].last_status == "ok"  # read again: reordered bytes
    assert [s.id for s in run.second.statements["noids"]] == [s.id for s in stored]
    assert len(run.second.of("noids", *KINDS)) == 2
    assert len(run.second.alerts_naming("Lavrov on the truce")) == 1
