"""Replay 40 real versions of the White House feed through the pipeline, in order."""

from __future__ import annotations

from pathlib import Path

from tests.integration.helpers import count, events, run_once, statements
from tracker.storage.models import VersionRow

VERSIONS = sorted(
    (Path(__file__).resolve().parents[1] / "corpus" / "feeds" / "whitehouse").glob("*.xml")
)


def test_replay_alerts_only_on_the_topic_and_only_on_real_change(config_dir, feeds, make_tracker):
    """Of 62 items in a sliding window, the 3 about Ukraine alert: each once, plus its text arriving."""
    config_dir.sources([config_dir.feed("whitehouse", feeds.url("/wh.xml"), speaker="White House")])
    tracker = make_tracker()
    seen = []
    for version in VERSIONS:
        feeds.set("/wh.xml", version.read_bytes())
        before = len(events(tracker))
        run_once(tracker)
        seen += [
            (version.name, e.type, e.data["statement"]["title"], e.data.get("edit"))
            for e in events(tracker)[before:]
        ]

    assert len(VERSIONS) == 40
    assert seen == [
        ("000.xml", "statement.new", "Joint Statement on United States-Ukraine Meeting", None),
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
        run_once(tracker)
    total = len(events(tracker))
    for version in VERSIONS[::3]:
        feeds.set("/wh.xml", version.read_bytes())
        run_once(tracker)
    assert len(events(tracker)) == total
