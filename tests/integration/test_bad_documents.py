"""Bad documents through the real pipeline: each gets a clear result, and nothing already
stored changes (the positions and facts read before them stand)."""

from __future__ import annotations

import pytest

from tests.integration.helpers import events, run_once, statements
from tests.servers import item, rss
from tracker.services.state_view import topic_state

GOOD = "Russian President Vladimir Putin rejected a full ceasefire for 30 days."
BAD = {
    "empty": "",
    "huge": ("Ukraine " + "word " * 200_000) * 5,  # ~5 MB of text naming the topic
    "raw HTML": "<html><body><script>var putin = 1;</script><p>Ukraine &amp; Russia</p></body></html>",
    "unknown script": "特朗普与普京通电话，讨论乌克兰停火问题。" * 40,
    "control bytes": "Ukraine \x01\x02\x03\x04 ceasefire \x05\x06",
}


def _state(tracker):
    with tracker.db.reader() as uow:
        return topic_state(uow, "ukraine-ceasefire")


@pytest.mark.parametrize("kind", sorted(BAD))
def test_a_bad_document_changes_no_stored_claim(config_dir, feeds, make_tracker, kind):
    """A bad document after a good one is stored or skipped, raises no position or fact
    event, and leaves the state the good one set."""
    config_dir.sources([config_dir.feed("wire", feeds.url("/wire.xml"))])
    feeds.set("/wire.xml", rss(item("g1", "Putin on the truce", GOOD)))
    tracker = make_tracker(backlog_max_age=0)
    run_once(tracker)
    before = _state(tracker)
    first = len(events(tracker, "position.new", "fact.new"))
    assert [(p["actor"], p["stance"]) for p in before["positions"]] == [("putin", "opposes")]
    feeds.set(
        "/wire.xml",
        rss(item("g1", "Putin on the truce", GOOD), item("b1", "Ukraine update", BAD[kind])),
    )
    run_once(tracker)
    after = _state(tracker)
    assert [(p["actor"], p["issue"], p["stance"]) for p in after["positions"]] == [
        (p["actor"], p["issue"], p["stance"]) for p in before["positions"]
    ]
    assert [(f["key"], f["value"]) for f in after["facts"]] == [
        (f["key"], f["value"]) for f in before["facts"]
    ]
    changes = events(tracker, "position.changed", "fact.changed", "fact.disputed")
    assert changes == []
    assert len(events(tracker, "position.new", "fact.new")) == first  # the good statement's
    assert len(statements(tracker)) >= 1
