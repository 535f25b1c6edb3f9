"""The review actions of the API: confirm or reject the claim behind a needs_review event
(editor role; audited). A stale action (already confirmed or rejected, or an event that never
needed review) is a 409; an unknown event a 404."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from tracker.domain.access import Role
from tracker.services import review
from tracker.services.accounts import Principal
from tracker.web.api import NO_NUL, EventOut, event_out
from tracker.web.problems import PROBLEM_RESPONSES, Problem
from tracker.web.security import now, require

router = APIRouter(prefix="/api/v1", tags=["api"], responses=PROBLEM_RESPONSES)
Editor = Annotated[Principal, Depends(require(Role.EDITOR))]


class ReviewIn(BaseModel):
    """An optional note on the review."""

    note: str | None = Field(default=None, max_length=2000, pattern=NO_NUL)


class ReviewOut(BaseModel):
    """The event after review, and what the review did."""

    event: EventOut
    verdict: str
    claim_id: int
    applied: bool  # the claim is now the stance / value
    released: int  # deliveries sent on their way
    cancelled: int  # deliveries cancelled (rejected, or superseded by a later claim)


def decide(request: Request, who: Principal, event_id: str, note: str | None, *, ok: bool) -> Any:
    """Confirm (`ok`) or reject an event's claim in one transaction; map errors to problems."""
    at = now()
    with request.app.state.tracker.db.unit_of_work() as uow:
        try:
            verdict = review.confirm if ok else review.reject
            done = verdict(uow, event_id, who, at, note=note)
        except review.NotFound as exc:
            raise Problem(404, str(exc)) from None
        except review.ReviewConflict as exc:
            raise Problem(409, str(exc)) from None
        uow.commit()
        return done


def _out(done: review.Decided) -> dict[str, Any]:
    return {
        "event": event_out(done.event, now()),
        "verdict": done.verdict.value,
        "claim_id": done.claim.id,
        "applied": done.applied,
        "released": done.released,
        "cancelled": done.cancelled,
    }


@router.post("/events/{event_id}/confirm", response_model=ReviewOut)
def confirm(
    request: Request, who: Editor, event_id: str, body: ReviewIn | None = None
) -> dict[str, Any]:
    """Confirm the claim of a needs_review event: it becomes the state if still newer, and
    its held alerts go out."""
    return _out(decide(request, who, event_id, body.note if body else None, ok=True))


@router.post("/events/{event_id}/reject", response_model=ReviewOut)
def reject(
    request: Request, who: Editor, event_id: str, body: ReviewIn | None = None
) -> dict[str, Any]:
    """Reject the claim of a needs_review event: the state stays, its held alerts are
    cancelled (and kept, with the reason)."""
    return _out(decide(request, who, event_id, body.note if body else None, ok=False))
