"""Every kind of bad input, through the whole pipeline, in one batch beside a good feed: each
misbehaving source gets a clear outcome on record, in bounded time and memory, and the good
feed beside it alerts as if nothing had happened."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tests.integration.helpers import PUTIN, events, run_once, source, statements
from tests.integration.test_fetch import _drip, _endless, _gzip_bomb
from tests.servers import item, rss
from tracker.storage.models import StatementRow

ZELENSKIY = (
    "Ukrainian President Volodymyr Zelenskiy said Ukraine would support a ceasefire on energy "
    "infrastructure proposed after the Trump-Putin call."
)
HTML_PAGE = "<html><body><h1>Putin and the ceasefire</h1><p>Not a feed.</p></body></html>"


def _items_without_ids(req):
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        b"<item><title>Putin on the ceasefire</title><description>No guid, link or date here."
        b"</description></item>"
        b"<item><title>Trump on the truce</title><description>Nor here.</description></item>"
        b"</channel></rss>"
    )
    req.send_response(200)
    req.send_header("Content-Type", "application/rss+xml")
    req.send_header("Content-Length", str(len(body)))
    req.end_headers()
    req.wfile.write(body)


def _invalid_utf8() -> bytes:
    """A feed that says UTF-8 and carries bytes that are not."""
    return (
        b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        b"<item><title>Putin and the ceasefire</title><guid>u1</guid>"
        b"<description>Putin spoke of the ceasefire \xff\xfe in a broken byte.</description>"
        b"</item></channel></rss>"
    )


def _duplicates() -> bytes:
    return rss(
        item("same", "Putin agrees to energy halt", PUTIN),
        item("same", "A second item with the same guid", "Trump spoke of the truce."),
    )


def test_bad_sources_get_clear_outcomes_and_cost_the_good_one_nothing(
    config_dir, feeds, make_tracker, tmp_path
):
    feeds.set("/good.xml", rss(item("g1", "Zelenskiy backs energy ceasefire", ZELENSKIY)))
    feeds.set("/drip.xml", handler=_drip)
    feeds.set("/endless.xml", handler=_endless)
    feeds.set("/bomb.xml", handler=_gzip_bomb)
    feeds.set("/loop-a", status=302, headers={"Location": "/loop-b"}, validators=False)
    feeds.set("/loop-b", status=302, headers={"Location": "/loop-a"}, validators=False)
    feeds.set("/page.xml", HTML_PAGE, content_type="text/html; charset=utf-8")
    feeds.set("/utf8.xml", _invalid_utf8())
    feeds.set(
        "/big.xml", rss(*(item(f"b{i}", f"Item {i}", "Weather report.") for i in range(10_000)))
    )
    feeds.set("/dupes.xml", _duplicates())
    feeds.set("/noids.xml", handler=_items_without_ids)
    paths = {
        "good": "/good.xml",
        "drip": "/drip.xml",
        "endless": "/endless.xml",
        "bomb": "/bomb.xml",
        "loop": "/loop-a",
        "page": "/page.xml",
        "utf8": "/utf8.xml",
        "big": "/big.xml",
        "dupes": "/dupes.xml",
        "noids": "/noids.xml",
    }
    config_dir.sources([config_dir.feed(name, feeds.url(path)) for name, path in paths.items()])
    settings = {
        "fetch_total_timeout": "2",
        "fetch_read_timeout": "1",
        "max_body_bytes": "5000000",
        "backlog_max_age": "0",
    }
    tracker = make_tracker(**settings)
    # `tracker poll --once` in its own process, so its time and peak memory are its own
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env.update({f"TRACKER_{k.upper()}": v for k, v in settings.items()})
    env.update(
        TRACKER_DATABASE_URL=tracker.settings.database,
        TRACKER_CONFIG_DIR=str(config_dir.path),
        TRACKER_DATA_DIR=str(tmp_path / "var"),
        TRACKER_ALLOWED_NETWORKS="127.0.0.0/8",
    )
    tracker_bin = str(Path(sys.executable).with_name("tracker"))
    log = tmp_path / "poll.log"
    started = time.monotonic()
    with log.open("wb") as out:
        poll = subprocess.Popen([tracker_bin, "poll", "--once"], env=env, stdout=out, stderr=out)
        _, status, usage = os.wait4(poll.pid, 0)  # this child's own peak memory
        poll.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.monotonic() - started
    output = log.read_text(errors="replace")
    assert poll.returncode == 0, output
    assert f"polled {len(paths)} source(s)" in output
    assert elapsed < 90  # the 10,000-item feed is the slowest; the drip is cut at 2 s
    assert usage.ru_maxrss < 400 * 1024  # KB: the endless body and the bomb stop at 5 MB
    errors = {name: source(tracker, name).last_error for name in paths}
    assert errors["drip"] == "no complete response within 2 s"
    assert errors["endless"] == "body passed the 5000000-byte cap (after decompression)"
    assert errors["bomb"] == "body passed the 5000000-byte cap (after decompression)"
    assert errors["loop"] == "more than 5 redirects"
    assert "not a feed" in errors["page"]
    for name in ("drip", "endless", "bomb", "loop", "page"):
        row = source(tracker, name)
        assert (row.last_status, row.consecutive_failures) == ("error", 1), name
    for name in ("good", "utf8", "big", "dupes", "noids"):
        row = source(tracker, name)
        assert (row.last_status, row.last_error) == ("ok", None), name

    by_source: dict[str, list[StatementRow]] = {}
    for row in statements(tracker):
        by_source.setdefault(row.source_id, []).append(row)
    assert len(by_source["big"]) == 10_000
    assert [s.title for s in by_source["dupes"]] == ["Putin agrees to energy halt"]
    assert sorted(s.title for s in by_source["noids"]) == [
        "Putin on the ceasefire",
        "Trump on the truce",
    ]
    (broken,) = by_source["utf8"]
    assert broken.title == "Putin and the ceasefire"
    announced = {e.source_id for e in events(tracker, "statement.new")}
    assert {"good", "utf8", "dupes", "noids"} <= announced
    assert not announced & {"drip", "endless", "bomb", "loop", "page", "big"}

    # polled again: nothing doubles (stable keys for items without ids), nothing re-announced
    run_once(tracker)
    assert len(statements(tracker)) == sum(len(v) for v in by_source.values())
    assert len(events(tracker, "statement.new")) == len(announced)
    assert source(tracker, "drip").consecutive_failures == 2
