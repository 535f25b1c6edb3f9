"""Review rules as plain functions: which claims wait for an editor, what a report can do
against an actor's own words, which verdicts are stale, and the topic file's `review:`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from tracker.config.models import ReviewConfig
from tracker.domain.claims import Stance
from tracker.domain.queue import Action, Item, QueueConflict, Status, decide
from tracker.domain.review import (
    Reason,
    ReviewConflict,
    ReviewPolicy,
    Verdict,
    check_pending,
    review_reasons,
    still_newer,
)
from tracker.domain.state import Contest, OwnWords, report_contest

NOW = datetime(2025, 3, 18, 12, tzinfo=UTC)
WEEK = timedelta(days=7)


@pytest.mark.parametrize(
    ("own", "stance", "age", "expected"),
    [
        (None, Stance.SUPPORTS, 0, Contest.NONE),  # nothing of their own on record
        (Stance.SUPPORTS, Stance.SUPPORTS, 1, Contest.NONE),  # the report agrees
        (Stance.OPPOSES, Stance.SUPPORTS, 1, Contest.NOTED),  # against yesterday's own words
        (Stance.OPPOSES, Stance.SUPPORTS, 7, Contest.NOTED),  # the window's edge still holds
        (Stance.OPPOSES, Stance.SUPPORTS, 10, Contest.REVIEW),  # older own words: an editor
        (Stance.OPPOSES, Stance.SUPPORTS, -2, Contest.NOTED),  # a report older than them
    ],
)
def test_a_report_against_own_words(own, stance, age, expected):
    """Within the window a contrary report is noted; after it, it waits for review."""
    said = OwnWords(own, NOW - timedelta(days=age)) if own else None
    assert report_contest(said, stance, NOW, WEEK) is expected


def test_review_reasons():
    """Below the threshold: low confidence; a contested report says so too; at it: none."""
    policy = ReviewPolicy(min_confidence=0.6)
    assert review_reasons(policy, 0.59) == (Reason.LOW_CONFIDENCE,)
    assert review_reasons(policy, 0.6) == ()
    assert review_reasons(policy, 0.9, contradicts_own_words=True) == (
        Reason.CONTRADICTS_OWN_WORDS,
    )
    assert len(review_reasons(policy, 0.1, contradicts_own_words=True)) == 2


@pytest.mark.parametrize(
    ("review", "verdict", "message"),
    [
        (None, Verdict.CONFIRM, "does not need review"),
        ("confirmed", Verdict.CONFIRM, "already confirmed"),
        ("rejected", Verdict.REJECT, "already rejected"),
        ("rejected", Verdict.CONFIRM, "was rejected: it cannot be confirmed"),
        ("confirmed", Verdict.REJECT, "was confirmed: it cannot be rejected"),
    ],
)
def test_a_stale_verdict_is_a_conflict(review, verdict, message):
    """Only a claim still awaiting review takes a verdict; every other case says why."""
    with pytest.raises(ReviewConflict, match=message):
        check_pending(review, verdict)
    check_pending("needs_review", verdict)


def test_a_confirmed_claim_becomes_the_state_only_if_still_newer():
    """Nothing stated after it may stand."""
    assert still_newer(NOW, None)
    assert still_newer(NOW, NOW)
    assert not still_newer(NOW, NOW, arrived_first=True)  # the current one came after it
    assert not still_newer(NOW, NOW + timedelta(seconds=1))


@pytest.mark.parametrize("status", [Status.NEEDS_REVIEW, Status.REJECTED])
@pytest.mark.parametrize("action", list(Action))
def test_queue_actions_wait_for_the_review(status, action):
    """No queue action moves an event that needs review, or one whose claim was rejected."""
    until = NOW + timedelta(hours=1)
    with pytest.raises(QueueConflict):
        decide(Item(status, None), action, "alice", NOW, until=until)


def test_the_topic_files_review_section():
    """Defaults, a duration for the window, and bounds on the threshold."""
    default = ReviewConfig().policy()
    assert (default.min_confidence, default.own_words_window) == (0.6, WEEK)
    custom = ReviewConfig.model_validate({"min_confidence": 0.8, "own_words_window": "2d"})
    assert custom.policy() == ReviewPolicy(0.8, timedelta(days=2))
    for bad in ({"min_confidence": 1.5}, {"own_words_window": "soon"}, {"threshold": 0.5}):
        with pytest.raises(ValidationError):
            ReviewConfig.model_validate(bad)
