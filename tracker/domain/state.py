"""The state of a topic: each actor's current stance on each issue, each key fact's current value.

A claim that agrees with the state adds provenance and raises nothing; one that differs raises
`position.changed` / `fact.changed`; a first claim raises `position.new` / `fact.new`; two
sources stating different values of a fact within the dispute window raise `fact.disputed`.
Statement time orders everything: a claim stated before the current one is history, and never
overturns what was said after it. An actor's own words outrank a report about them: a report
that contradicts what the actor said themselves within the window is noted, not followed; a
later one is followed only once an editor confirms it (see `review`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from tracker.domain.claims import FactValue, Stance

_EPSILON = 1e-9


class Outcome(StrEnum):
    """What a claim does to the state."""

    NEW = "new"  # the first claim: state created, event
    CHANGED = "changed"  # a newer claim that differs: state replaced, event
    DISPUTED = "disputed"  # another source says otherwise at about the same time: event
    CONFIRMED = "confirmed"  # agrees with the state: provenance only
    STALE = "stale"  # stated before the current state and differs: history only
    NOTED = "noted"  # beside the lead value, or doubted by a source not credited: provenance


@dataclass(frozen=True)
class PositionState:
    """An actor's current stance on an issue, and when and where it was stated."""

    stance: Stance
    conditions: tuple[str, ...]
    stated_at: datetime
    source_id: str


@dataclass(frozen=True)
class FactState:
    """A fact's current value, and when and where it was stated."""

    value: FactValue
    stated_at: datetime
    source_id: str
    disputed: bool = False


@dataclass(frozen=True)
class OwnWords:
    """An actor's latest stance on an issue in their own words (not a report about them)."""

    stance: Stance
    stated_at: datetime


class Contest(StrEnum):
    """What a report that would change a stance does against the actor's own words."""

    NONE = "none"  # nothing of their own says otherwise: the report may change the stance
    NOTED = "noted"  # their own words within the window say otherwise: history only
    REVIEW = "review"  # their own, older words say otherwise: an editor decides


def report_contest(
    own: OwnWords | None, stance: Stance, stated_at: datetime, window: timedelta
) -> Contest:
    """Judge a report of `stance` against the actor's own latest words."""
    if own is None or own.stance is stance:
        return Contest.NONE
    if stated_at - own.stated_at <= window:
        return Contest.NOTED
    return Contest.REVIEW


def position_outcome(current: PositionState | None, stance: Stance, stated_at: datetime) -> Outcome:
    """Decide what a position claim does to the current position."""
    if current is None:
        return Outcome.NEW
    if stance is current.stance:
        return Outcome.CONFIRMED
    if stated_at < current.stated_at:
        return Outcome.STALE
    return Outcome.CHANGED


def fact_outcome(
    current: FactState | None,
    value: FactValue,
    stated_at: datetime,
    source_id: str,
    *,
    dispute_window: timedelta,
    credible: bool = True,
    current_credible: bool = True,
) -> Outcome:
    """Decide what a fact claim does to the current value.

    Two credible sources that differ within the dispute window put the fact in dispute; a
    source not credited as credible cannot dispute a value another source just stated (its
    claim is noted), while a credible one may overturn what an uncredited source said."""
    if current is None:
        return Outcome.NEW
    if same_value(value, current.value):
        return Outcome.CONFIRMED
    if source_id != current.source_id and abs(stated_at - current.stated_at) <= dispute_window:
        if not credible:
            return Outcome.NOTED
        if current_credible:
            return Outcome.DISPUTED
    if stated_at < current.stated_at:
        return Outcome.STALE
    return Outcome.CHANGED


def same_value(a: FactValue, b: FactValue) -> bool:
    """Compare fact values: 30 == 30.0, text without case or surrounding space."""
    if isinstance(a, int | float) and isinstance(b, int | float):
        return abs(float(a) - float(b)) < _EPSILON
    return str(a).strip().lower() == str(b).strip().lower()
