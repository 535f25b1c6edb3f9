"""A source's noise rules through the real pipeline: what they keep quiet, and what still
gets through."""

from __future__ import annotations

from tests.integration.helpers import PUTIN, events, run_once, statements, versions
from tests.servers import item, rss

TITLE = "Putin agrees to energy halt"


def _tracker(config_dir, feeds, make_tracker, **noise):
    config_dir.sources([config_dir.feed("wire", feeds.url("/wire.xml"), noise=noise)])
    return make_tracker()


def _publish(feeds, text: str, link: str | None = None) -> None:
    entry = item("g1", TITLE, text)
    if link:
        entry["link"] = link
    feeds.set("/wire.xml", rss(entry))


def test_an_ignored_timestamp_is_not_an_edit_but_a_real_change_is(config_dir, feeds, make_tracker):
    tracker = _tracker(config_dir, feeds, make_tracker, ignore=[r"Updated \d\d:\d\d GMT"])
    _publish(feeds, f"{PUTIN} Updated 09:15 GMT")
    run_once(tracker)
    _publish(feeds, f"{PUTIN} Updated 11:40 GMT")
    run_once(tracker)
    assert events(tracker, "statement.edited") == []
    assert len(versions(tracker)) == 1
    _publish(feeds, f"{PUTIN.replace('30-day', '60-day')} Updated 12:05 GMT")
    run_once(tracker)
    (edited,) = events(tracker, "statement.edited")
    assert "[-30-day-] {+60-day+}" in edited.data["diff"]


def test_an_edit_smaller_than_min_change_is_kept_but_quiet(config_dir, feeds, make_tracker):
    """min_change 3: a one-word fix is stored as a version (and its claims read) but raises no
    statement.edited; a bigger edit does."""
    tracker = _tracker(config_dir, feeds, make_tracker, min_change=3)
    _publish(feeds, PUTIN)
    run_once(tracker)
    _publish(feeds, PUTIN.replace("infrastructure", "infrastucture"))  # a typo crept in
    run_once(tracker)
    assert events(tracker, "statement.edited") == []
    assert len(versions(tracker)) == 2
    _publish(feeds, PUTIN.replace(", the Kremlin", " but rejected a full ceasefire, the Kremlin"))
    run_once(tracker)
    (edited,) = events(tracker, "statement.edited")
    assert "but rejected a full ceasefire,+}" in edited.data["diff"]


def test_a_text_back_from_beyond_the_flip_flop_window_is_news(config_dir, feeds, make_tracker):
    """flip_flop 2: after A, B, C, B again is a flip-flop (one of the last two versions, so
    silent), but A again is news: an edit pointing back at version 1, no version stored twice."""
    tracker = _tracker(config_dir, feeds, make_tracker, flip_flop=2)
    a = PUTIN
    b = PUTIN.replace("30-day", "60-day")
    c = PUTIN.replace("30-day", "90-day")
    for text in (a, b, c):
        _publish(feeds, text)
        run_once(tracker)
    assert len(events(tracker, "statement.edited")) == 2
    _publish(feeds, b)  # one of the last two versions: a flip-flop, silent
    run_once(tracker)
    assert len(events(tracker, "statement.edited")) == 2
    _publish(feeds, a)  # older than the window: back, and news
    run_once(tracker)
    edits = events(tracker, "statement.edited")
    assert len(edits) == 3
    restored = next(e for e in edits if e.data["statement"]["version"] == 1)
    assert restored.data["previous"]["version"] == 2
    assert "{+30-day+}" in restored.data["diff"]
    assert len(versions(tracker)) == 3  # nothing stored twice
    assert statements(tracker)[0].fingerprint == versions(tracker)[0].fingerprint


def test_stripped_parameters_are_not_kept_in_links(config_dir, feeds, make_tracker):
    tracker = _tracker(config_dir, feeds, make_tracker, strip_params=["src"])
    _publish(feeds, PUTIN, link="http://example.org/news/1?id=7&src=rss_feed&utm_medium=rss")
    run_once(tracker)
    assert statements(tracker)[0].url == "http://example.org/news/1?id=7"
