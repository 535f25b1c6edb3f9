"""Syndicated copies of one story: one cluster, one alert, every source on record."""

from __future__ import annotations

from tests.integration.helpers import events, json_channel, run_once
from tests.servers import item, rss
from tracker.services.state_view import topic_state
from tracker.storage.models import StatementRow

STORY = (
    "Russian President Vladimir Putin agreed on Tuesday to stop attacks on Ukrainian energy "
    "infrastructure for 30 days after a long phone call with U.S. President Donald Trump, but "
    "declined to endorse a full ceasefire that Washington had hoped would be a first step "
    "toward a permanent peace deal."
)
OTHER = (
    "Ukrainian President Volodymyr Zelenskiy said on Wednesday that Kyiv would support a halt "
    "to strikes on energy infrastructure, and asked for details of what Russia had agreed in "
    "the call with Trump, saying Ukraine needed to see the list of targets first."
)


def _statements(tracker):
    with tracker.db.reader() as uow:
        return {s.source_id: s for s in uow.session.query(StatementRow)}


def test_copies_of_one_story_alert_once_and_keep_every_source(
    config_dir, feeds, receiver, make_tracker
):
    """Three outlets carry the agency story: one statement.new, one alert, one cluster; the
    claims of every copy back the position; a different story is its own cluster."""
    names = ["reuters", "yahoo", "usnews", "kyiv"]
    config_dir.sources([config_dir.feed(n, feeds.url(f"/{n}.xml")) for n in names])
    config_dir.alerts(
        channels=[json_channel(receiver.address)],
        routes=[{"match": {"types": ["statement.new"]}, "channels": ["desk"]}],
    )
    for n in names:
        feeds.set(f"/{n}.xml", rss())
    tracker = make_tracker(backlog_max_age=0)
    run_once(tracker)
    feeds.set("/reuters.xml", rss(item("r1", "Putin agrees to halt energy strikes", STORY)))
    run_once(tracker)
    feeds.set(
        "/yahoo.xml",
        rss(item("y1", "Putin agrees to pause energy strikes", f"MOSCOW (Reuters) - {STORY}")),
    )
    feeds.set(
        "/usnews.xml",
        rss(item("u1", "Putin, Trump agree on energy halt", f"{STORY} Reporting by Reuters.")),
    )
    feeds.set("/kyiv.xml", rss(item("k1", "Zelenskiy asks for details", OTHER)))
    run_once(tracker)
    announced = events(tracker, "statement.new")
    assert sorted(e.source_id for e in announced) == ["kyiv", "reuters"]
    assert len(receiver.wait_for(2)) == 2
    rows = _statements(tracker)
    assert rows["yahoo"].cluster_id == rows["usnews"].cluster_id == rows["reuters"].id
    assert rows["kyiv"].cluster_id == rows["kyiv"].id
    with tracker.db.reader() as uow:
        state = topic_state(uow, "ukraine-ceasefire")
    (energy,) = [
        p
        for p in state["positions"]
        if (p["actor"], p["issue"]) == ("putin", "energy_strikes_halt")
    ]
    assert energy["sources"] == ["reuters", "usnews", "yahoo"]


def test_a_copy_after_the_window_is_news_again(config_dir, feeds, make_tracker):
    """With no clustering window, the same text from another source is announced."""
    config_dir.sources([config_dir.feed(n, feeds.url(f"/{n}.xml")) for n in ("a", "b")])
    for n in ("a", "b"):
        feeds.set(f"/{n}.xml", rss())
    tracker = make_tracker(backlog_max_age=0, cluster_window_seconds=0)
    run_once(tracker)
    feeds.set("/a.xml", rss(item("a1", "Putin agrees", STORY)))
    run_once(tracker)
    feeds.set("/b.xml", rss(item("b1", "Putin agrees", STORY)))
    run_once(tracker)
    assert len(events(tracker, "statement.new")) == 2
