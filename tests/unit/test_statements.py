"""Change decisions: new, edited, unchanged, reverted, and which of them is news."""

from __future__ import annotations

import pytest

from tracker.domain.statements import (
    Change,
    Item,
    Observation,
    StoredStatement,
    announcement,
    classify,
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
