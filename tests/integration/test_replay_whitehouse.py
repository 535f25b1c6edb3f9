"""Replay 40 real versions of the White House feed through the pipeline, in order."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tests.integration.helpers import count, events, run_once, statements
from tracker.storage.models import VersionRow

FEED_DIR = Path(__file__).resolve().parents[1] / "corpus" / "feeds" / "whitehouse"
VERSIONS = sorted(FEED_DIR.glob("*.xml"))
# When the scraper committed each version: the replay runs on that clock.
COMMITTED = {
    name: datetime.fromisoformat(when).astimezone(UTC)
    for name, when in (
        line.split("\t") for line in (FEED_DIR / "VERSIONS.tsv").read_text().splitlines()[1:]
    )
}


def test_replay_alerts_only_on_the_topic_and_only_on_real_change(config_dir, feeds, make_tracker):
    """Of 62 items in a sliding window, the 3 about Ukraine alert once each, on the replayed clock.

    The first poll takes the week-old items as known (no archive replay); the joint statement
    alerts when its full text replaces the boilerplate, the Geneva readout when its text makes
    it relevant, the Melania Trump item when it appears.
    """
    config_dir.sources([config_dir.feed("whitehouse", feeds.url("/wh.xml"), speaker="White House")])
    tracker = make_tracker()
    seen = []
    for version in VERSIONS:
        feeds.set("/wh.xml", version.read_bytes())
        before = len(events(tracker))
        run_once(tracker, clock=lambda v=version: COMMITTED[v.name])
        seen += [
            (version.name, e.type, e.data["statement"]["title"], e.data.get("edit"))
            if e.type.startswith("statement.")
            else (version.name, e.type, e.data.get("actor", {}).get("id"), e.data.get("key"))
            for e in events(tracker)[before:]
        ]

    assert len(VERSIONS) == 40
    assert seen == [
        (
            "003.xml",
            "statement.edited",
            "Joint Statement on United States-Ukraine Meeting",
            "text_added",
        ),
        ("003.xml", "statement.new", "Readout of Peace Talks in Geneva", None),
        (
            "006.xml",
            "statement.new",
            "U.S. First Lady Melania Trump Welcomes Progress in Russia - Ukraine Children's Reunification Initiative",
            None,
        ),
    ]
    stored = statements(tracker)
    assert len(stored) == 62  # every item is stored, relevant or not
    assert sum(s.relevant for s in stored) == 3
    # Boilerplate descriptions ("White House Briefing/Statement: <title>") are stored as no text,
    # and the full text that replaces them is one more version, not a flood of edits.
    assert count(tracker, VersionRow) < 62 * 2
    edited = events(tracker, "statement.edited")[0]
    assert edited.data["previous"]["text"] == ""
    assert "Geneva" in edited.data["statement"]["text"]


def test_replaying_the_same_versions_again_is_silent(config_dir, feeds, make_tracker):
    """Serving every version a second time raises nothing: all of it is known."""
    config_dir.sources([config_dir.feed("whitehouse", feeds.url("/wh.xml"))])
    tracker = make_tracker()
    for version in VERSIONS:
        feeds.set("/wh.xml", version.read_bytes())
        run_once(tracker, clock=lambda v=version: COMMITTED[v.name])
    total = len(events(tracker))
    for version in VERSIONS[::3]:
        feeds.set("/wh.xml", version.read_bytes())
        run_once(tracker, clock=lambda v=version: COMMITTED[v.name])
    assert len(events(tracker)) == total
