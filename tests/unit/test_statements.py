"""Change decisions: new, edited, unchanged, reverted, and which of them is news."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tracker.domain.statements import (
    Change,
    Item,
    Observation,
    StoredStatement,
    announcement,
    classify,
    in_backlog,
)

STORED = StoredStatement(id=1, fingerprint="b", announced=True, version_count=2)


@pytest.mark.parametrize(
    ("stored", "observed", "known", "expected"),
    [
        (None, "a", frozenset(), Change.NEW),
        (STORED, "b", frozenset({"a", "b"}), Change.UNCHANGED),
        (STORED, "a", frozenset({"a", "b"}), Change.REVERTED),
        (STORED, "c", frozenset({"a", "b"}), Change.EDITED),
    ],
)
def test_classify(stored, observed, known, expected):
    """An observation is classified against the current text and every earlier one."""
    assert classify(stored, observed, known) is expected


@pytest.mark.parametrize(
    ("change", "relevant", "announced", "expected"),
    [
        (Change.NEW, True, False, "statement.new"),
        (Change.NEW, False, False, None),
        (Change.EDITED, True, True, "statement.edited"),
        (Change.EDITED, False, True, "statement.edited"),  # an edit that drops the topic is news
        (Change.EDITED, True, False, "statement.new"),  # first time relevant
        (Change.EDITED, False, False, None),
        (Change.UNCHANGED, True, True, None),
        (Change.REVERTED, True, True, None),
    ],
)
def test_announcement(change, relevant, announced, expected):
    """Only first relevant sightings and edits of announced statements are news."""
    assert announcement(change, relevant=relevant, announced=announced) == expected


def test_observation_normalises_an_item():
    """An observation has a clean title, a canonical link and a stable key digest."""
    obs = Observation.of(
        Item(
            key="g1",
            title=" Putin\u2019s call ",
            text="<p>x</p>",
            url="http://e.org/a?utm_source=rss",
        )
    )
    assert obs.title == "Putin's call"
    assert obs.url == "http://e.org/a"
    assert len(obs.key_digest) == 40


NOW = datetime(2025, 3, 19, 12, tzinfo=UTC)
DAY = 86_400.0


@pytest.mark.parametrize(
    ("published", "first_poll", "max_age", "undated", "expected"),
    [
        (NOW - timedelta(days=2), True, DAY, 0, True),  # old, on a first poll: archive
        (NOW - timedelta(hours=2), True, DAY, 0, False),  # fresh: news
        (NOW - timedelta(days=2), False, DAY, 0, False),  # old but on a later poll: news
        (NOW - timedelta(days=2), True, 0, 0, False),  # the rule turned off
        (None, True, DAY, 1, False),  # a page's one undated statement: news
        (None, True, DAY, 3, False),  # a short undated feed: news
        (None, True, DAY, 4, True),  # a longer undated list: learned, not announced
        (None, False, DAY, 50, False),  # undated on a later poll: news
        (None, True, 0, 50, False),  # the rule turned off
    ],
)
def test_in_backlog(published, first_poll, max_age, undated, expected):
    """A first poll learns the archive: items older than the age, and long undated lists."""
    result = in_backlog(published, NOW, first_poll=first_poll, max_age=max_age, undated=undated)
    assert result is expected


def _new_event(published: datetime | None, now: datetime):
    from tracker.domain.sources import SourceSpec
    from tracker.domain.statement_events import statement_event

    source = SourceSpec(id="wire", kind="feed", url="http://e.org/f", interval=60, topics=("t",))
    obs = Observation("k", "d", "Title", "Text", "http://e.org/1", published, "fp")
    return statement_event(
        "statement.new", source=source, statement_id=1, obs=obs, version=1, topics={}, now=now
    )


def test_a_statement_first_seen_a_day_after_it_was_published_is_marked_late():
    """An old item (a feed's archive, a late crawl) is flagged, so no alert calls it new."""
    now = datetime(2025, 3, 25, 8, tzinfo=UTC)
    assert _new_event(now - timedelta(days=7), now).data["late"] is True
    assert "late" not in _new_event(now - timedelta(hours=2), now).data
    assert "late" not in _new_event(None, now).data  # no date: nothing to say
    assert _new_event(None, now).data["seen"] == now.isoformat()
