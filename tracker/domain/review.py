"""Review: which claims a person must see before they alert, and what confirm and reject do.

A claim that would change the state (a new or changed position or fact) waits for an editor
when the extractor is not sure of it (confidence below the topic's `min_confidence`), or when
it is a report that an actor changed their stance while the actor's own latest words say
otherwise. It is stored, its event is queued as `needs_review` and its deliveries are held;
the state does not move until an editor confirms it. Rejecting it cancels the deliveries and
leaves the state as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

DEFAULT_MIN_CONFIDENCE = 0.6
DEFAULT_OWN_WORDS_WINDOW = timedelta(days=7)


class Review(StrEnum):
    """Where a claim stands with the editors (None on a claim: nobody needed to look)."""

    NEEDS_REVIEW = "needs_review"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


class Reason(StrEnum):
    """Why a claim waits for an editor."""

    LOW_CONFIDENCE = "low_confidence"
    CONTRADICTS_OWN_WORDS = "contradicts_own_words"


@dataclass(frozen=True)
class ReviewPolicy:
    """A topic's review settings (`review:` in its topic file)."""

    min_confidence: float = DEFAULT_MIN_CONFIDENCE
    # A report about an actor cannot overturn what the actor said themselves this recently;
    # a later report that contradicts their own words is held for review instead.
    own_words_window: timedelta = DEFAULT_OWN_WORDS_WINDOW


def review_reasons(
    policy: ReviewPolicy, confidence: float, *, contradicts_own_words: bool = False
) -> tuple[Reason, ...]:
    """Return why a state-changing claim must wait for an editor (empty: it need not)."""
    reasons = []
    if confidence < policy.min_confidence:
        reasons.append(Reason.LOW_CONFIDENCE)
    if contradicts_own_words:
        reasons.append(Reason.CONTRADICTS_OWN_WORDS)
    return tuple(reasons)


class Verdict(StrEnum):
    """What an editor says of a held claim."""

    CONFIRM = "confirm"
    REJECT = "reject"


class ReviewConflict(Exception):
    """The claim is not awaiting review (already confirmed or rejected): a stale action."""


def check_pending(review: str | None, verdict: Verdict) -> None:
    """Raise ReviewConflict unless a claim still awaits review."""
    if review == Review.NEEDS_REVIEW:
        return
    if review is None:
        raise ReviewConflict("this event does not need review")
    done = "confirmed" if review == Review.CONFIRMED else "rejected"
    if verdict is Verdict.CONFIRM and review == Review.CONFIRMED:
        raise ReviewConflict("already confirmed")
    if verdict is Verdict.REJECT and review == Review.REJECTED:
        raise ReviewConflict("already rejected")
    raise ReviewConflict(f"the claim was {done}: it cannot be {verdict.value}ed now")


def still_newer(
    stated_at: datetime, current_stated_at: datetime | None, *, arrived_first: bool = False
) -> bool:
    """Whether a confirmed claim may become the state: nothing stated after it stands. Of two
    stated at the same moment, the one that arrived later is the latest word, as when claims
    are applied (so a held claim does not overturn one that came after it)."""
    if current_stated_at is None or stated_at > current_stated_at:
        return True
    return stated_at == current_stated_at and not arrived_first
