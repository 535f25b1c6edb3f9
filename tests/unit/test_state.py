"""State transitions: what a claim does to a position or a fact, by statement time and source."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tracker.domain.claims import Stance
from tracker.domain.state import FactState, Outcome, PositionState, fact_outcome, position_outcome

DAY = datetime(2025, 3, 18, 12, tzinfo=UTC)
WINDOW = timedelta(days=2)
CONDITIONAL = PositionState(Stance.CONDITIONAL, ("mobilisation stops",), DAY, "kremlin")


@pytest.mark.parametrize(
    ("current", "stance", "stated_at", "expected"),
    [
        (None, Stance.SUPPORTS, DAY, Outcome.NEW),
        (CONDITIONAL, Stance.CONDITIONAL, DAY + timedelta(days=1), Outcome.CONFIRMED),
        (CONDITIONAL, Stance.SUPPORTS, DAY + timedelta(hours=1), Outcome.CHANGED),
        # a late-arriving older statement does not overturn a newer position
        (CONDITIONAL, Stance.OPPOSES, DAY - timedelta(days=3), Outcome.STALE),
        # ... but one that agrees still counts as provenance
        (CONDITIONAL, Stance.CONDITIONAL, DAY - timedelta(days=3), Outcome.CONFIRMED),
    ],
)
def test_position_outcomes(current, stance, stated_at, expected):
    """New, confirmed, changed, or stale: decided by stance and statement time."""
    assert position_outcome(current, stance, stated_at) is expected


THIRTY = FactState(30, DAY, "kremlin")


@pytest.mark.parametrize(
    ("value", "stated_at", "source", "expected"),
    [
        (30.0, DAY + timedelta(days=5), "whitehouse", Outcome.CONFIRMED),  # 30 == 30.0
        (60, DAY + timedelta(hours=6), "kremlin", Outcome.CHANGED),  # the same source revises it
        (60, DAY + timedelta(hours=6), "whitehouse", Outcome.DISPUTED),  # another source, same time
        (
            60,
            DAY + timedelta(days=5),
            "whitehouse",
            Outcome.CHANGED,
        ),  # later: a change, not a dispute
        (60, DAY - timedelta(days=5), "whitehouse", Outcome.STALE),  # earlier: history
    ],
)
def test_fact_outcomes(value, stated_at, source, expected):
    """A differing value is a dispute only between sources and within the window."""
    assert fact_outcome(THIRTY, value, stated_at, source, dispute_window=WINDOW) is expected


def test_first_fact_is_new_and_words_compare_without_case():
    """A first value is new; enumerations compare without case or stray spaces."""
    assert fact_outcome(None, "full", DAY, "a", dispute_window=WINDOW) is Outcome.NEW
    scope = FactState("energy_infrastructure", DAY, "a")
    assert (
        fact_outcome(scope, " Energy_Infrastructure", DAY, "b", dispute_window=WINDOW)
        is Outcome.CONFIRMED
    )


def test_only_credible_sources_dispute_a_fact():
    """An uncredited source differing at once is noted; a credible one differing from an
    uncredited one at once is not held back by it."""
    soon = DAY + timedelta(hours=6)
    assert (
        fact_outcome(THIRTY, 60, soon, "blog", dispute_window=WINDOW, credible=False)
        is Outcome.NOTED
    )
    assert (
        fact_outcome(THIRTY, 60, soon, "wire", dispute_window=WINDOW, current_credible=False)
        is Outcome.CHANGED
    )
    assert (
        fact_outcome(
            THIRTY,
            60,
            DAY - timedelta(days=1),
            "wire",
            dispute_window=WINDOW,
            current_credible=False,
        )
        is Outcome.STALE
    )
