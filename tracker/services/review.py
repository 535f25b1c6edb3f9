"""Editors confirm or reject a claim held for review (its event is `needs_review`).

Confirm: the claim becomes the stance or the value if nothing stated after it stands (the
state is read under the topic lock), and the held deliveries are released; when the state has
moved on meanwhile (a later claim, or the same stance set by another source), the claim is
recorded as confirmed but its alerts are cancelled as superseded, so nobody is told old news.
Reject: the claim is marked rejected, the state is left as it was, and the held deliveries are
cancelled (kept, with the reason). Either is audited; a second one on the same event, or one
on an event that never needed review, raises ReviewConflict (the API's 409).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tracker.domain.queue import Change, Status
from tracker.domain.review import Review, ReviewConflict, Verdict, check_pending, still_newer
from tracker.domain.state import Outcome, same_value
from tracker.services.accounts import Principal
from tracker.services.desk import NotFound
from tracker.services.judging import set_fact, set_position
from tracker.storage.database import UnitOfWork
from tracker.storage.models import ClaimRow, EventRow, FactRow, PositionRow
from tracker.storage.state import unwrap

__all__ = ["Decided", "NotFound", "ReviewConflict", "confirm", "reject"]


@dataclass(frozen=True)
class Decided:
    """What a review did."""

    event: EventRow
    claim: ClaimRow
    verdict: Verdict
    applied: bool  # the claim is now the state
    released: int  # deliveries sent on their way
    cancelled: int  # deliveries cancelled (rejected, or superseded)


def _pending(uow: UnitOfWork, event_id: str, verdict: Verdict) -> tuple[EventRow, ClaimRow]:
    event = uow.events.get(event_id)
    if event is None:
        raise NotFound(f"no event {event_id!r}")
    claim = uow.state.claim_for_event(event_id)
    if claim is None:
        raise ReviewConflict("this event does not need review")
    check_pending(claim.review, verdict)
    return event, claim


def _close(
    uow: UnitOfWork, event: EventRow, status: Status, who: Principal, now: datetime, note: str
) -> None:
    """Move the event off review, atomically: of two editors at once, exactly one wins."""
    change = Change(
        status,
        who.display,
        note=note,
        expect=(Status.NEEDS_REVIEW,),
        expect_assignee=event.assignee,
    )
    if not uow.desk.apply(event.id, change, now):
        raise ReviewConflict("someone else reviewed this event first")


def _apply(uow: UnitOfWork, claim: ClaimRow, now: datetime) -> bool:
    """Make a confirmed claim the state if it is still the newest word and says something new;
    return whether it did."""
    if claim.kind == "position":
        position = uow.state.position(claim.topic, claim.actor or "", claim.issue or "")
        same = position is not None and position.stance == claim.stance
        if not _settles(claim, position, same=same):
            return False
        set_position(uow, position, claim, now)
        return True
    fact = uow.state.fact(claim.topic, claim.key or "")
    same = fact is not None and same_value(unwrap(fact.value), unwrap(claim.value))
    if not _settles(claim, fact, same=same):
        return False
    set_fact(uow, fact, claim, now)
    return True


def _settles(claim: ClaimRow, current: PositionRow | FactRow | None, *, same: bool) -> bool:
    """Record what a confirmed claim does to the current row: nothing if a newer word stands
    (stale) or it says the same (confirmed); else it is new or a change, and True."""
    if not still_newer(
        claim.stated_at,
        current.stated_at if current else None,
        arrived_first=current is not None and current.claim_id > claim.id,
    ):
        claim.outcome = Outcome.STALE.value
        return False
    if same:
        claim.outcome = Outcome.CONFIRMED.value
        return False
    claim.outcome = (Outcome.NEW if current is None else Outcome.CHANGED).value
    return True


def _reviewed(claim: ClaimRow, review: Review, who: Principal, now: datetime) -> None:
    claim.review, claim.reviewed_at, claim.reviewed_by = review.value, now, who.name


def confirm(
    uow: UnitOfWork, event_id: str, who: Principal, now: datetime, *, note: str | None = None
) -> Decided:
    """Confirm a held claim: the state follows it if still newer, and its alerts go out."""
    event, claim = _pending(uow, event_id, Verdict.CONFIRM)
    uow.state.lock_topics([claim.topic])
    _close(uow, event, Status.RESOLVED, who, now, note or "confirmed")
    applied = _apply(uow, claim, now)
    _reviewed(claim, Review.CONFIRMED, who, now)
    released = uow.deliveries.release_held(event_id, now) if applied else 0
    cancelled = (
        0
        if applied
        else uow.deliveries.cancel_held(event_id, "superseded: the state moved on first", now)
    )
    uow.desk.audit(
        who.name,
        "confirm",
        f"events/{event_id}",
        now,
        claim=claim.id,
        applied=applied,
        released=released,
        cancelled=cancelled,
        note=note,
    )
    return Decided(event, claim, Verdict.CONFIRM, applied, released, cancelled)


def reject(
    uow: UnitOfWork, event_id: str, who: Principal, now: datetime, *, note: str | None = None
) -> Decided:
    """Reject a held claim: the state stays as it was, and its alerts are cancelled."""
    event, claim = _pending(uow, event_id, Verdict.REJECT)
    _close(uow, event, Status.REJECTED, who, now, note or "rejected")
    _reviewed(claim, Review.REJECTED, who, now)
    cancelled = uow.deliveries.cancel_held(event_id, f"rejected by {who.display}", now)
    uow.desk.audit(
        who.name,
        "reject",
        f"events/{event_id}",
        now,
        claim=claim.id,
        cancelled=cancelled,
        note=note,
    )
    return Decided(event, claim, Verdict.REJECT, applied=False, released=0, cancelled=cancelled)
