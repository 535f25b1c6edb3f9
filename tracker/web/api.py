"""The JSON API, `/api/v1`: events and the queue actions, state, sources, webhook endpoints,
deliveries and the audit log. Every route names the role it needs."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator

from tracker.delivery.signing import new_secret
from tracker.domain.access import Role
from tracker.domain.queue import SEVERITY_RANK, Action, InvalidAction, QueueConflict, Status
from tracker.services import desk, webhooks
from tracker.services.accounts import Principal
from tracker.services.state_view import topic_state
from tracker.storage.desk import QueueFilter
from tracker.storage.models import DeliveryRow, EventRow, SourceRow, WebhookEndpointRow
from tracker.web.problems import PROBLEM_RESPONSES, Problem
from tracker.web.security import now, require

router = APIRouter(prefix="/api/v1", tags=["api"], responses=PROBLEM_RESPONSES)
Viewer = Annotated[Principal, Depends(require(Role.VIEWER))]
Editor = Annotated[Principal, Depends(require(Role.EDITOR))]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
MAX_PAGE = 200
MAX_SEQ = 2**63 - 1  # a BIGINT; a larger number in a cursor is not one this API gave out
# PostgreSQL cannot hold a NUL character in text: a request with one does not fit the schema.
NO_NUL = r"^[^\x00]*$"


class EventOut(BaseModel):
    """A change event (its CloudEvent) and where it stands in the editors' queue."""

    id: str
    seq: int
    type: str
    subject: str
    time: datetime
    severity: str
    topics: list[str]
    source_id: str | None
    status: str
    assignee: str | None
    snoozed_until: datetime | None
    note: str | None
    data: dict[str, Any]


class EventPage(BaseModel):
    """A page of events; pass `next_cursor` as `cursor` for the next page."""

    items: list[EventOut]
    next_cursor: str | None
    total: int


class DeliveryOut(BaseModel):
    """One event to one target."""

    id: int
    event_id: str
    event_type: str
    target: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    sent_at: datetime | None


class StoryCopy(BaseModel):
    """One source carrying the story a statement event is about."""

    source_id: str
    title: str
    url: str | None
    first_seen_at: datetime
    published_at: datetime | None


class EventDetail(EventOut):
    """An event with its deliveries, its audit trail and every source carrying the story it
    came from (syndicated copies that joined the cluster after the alert included)."""

    deliveries: list[DeliveryOut]
    audit: list[dict[str, Any]]
    story: list[StoryCopy] = []


class ActionIn(BaseModel):
    """What an action may carry: a note (resolve, snooze, reopen), a time (snooze; UTC when it
    has no offset)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"note": "the Kremlin readout", "until": "2100-01-01T06:00:00Z"}]
        }
    )

    note: str | None = Field(default=None, max_length=2000, pattern=NO_NUL)
    until: datetime | None = None

    @field_validator("until")
    @classmethod
    def _in_utc(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        try:
            return value.astimezone(UTC)
        except OverflowError:
            raise ValueError("the time is out of range") from None


class SourceOut(BaseModel):
    """A source and its health."""

    id: str
    kind: str
    url: str
    topics: list[str]
    enabled: bool
    paused: bool
    paused_by: str | None
    last_status: str
    last_success_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    consecutive_failures: int
    failing: bool
    next_poll_at: datetime
    interval_seconds: float  # the interval in use (it adapts when the source says so)
    polls: int


class WebhookOut(BaseModel):
    """A webhook endpoint (never its secret)."""

    id: str
    url: str
    types: list[str]
    enabled: bool
    disabled_reason: str | None
    origin: str
    failing_since: datetime | None


class WebhookIn(BaseModel):
    """A new endpoint."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"url": "https://hooks.example.org/tracker", "types": ["position.*"]}]
        }
    )
    url: str = Field(min_length=8, max_length=2000, pattern=NO_NUL)
    types: list[Annotated[str, Field(max_length=100, pattern=NO_NUL)]] = Field(
        default_factory=list, max_length=50
    )
    id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]{1,100}$")


class WebhookCreated(WebhookOut):
    """A new endpoint and its signing secret, shown this once."""

    secret: str


class StateOut(BaseModel):
    """The current positions and facts, each with its sources and history."""

    positions: list[dict[str, Any]]
    facts: list[dict[str, Any]]


def event_out(row: EventRow, at: datetime) -> dict[str, Any]:
    """Return an event as the API shows it (a snooze that has run out shows as open)."""
    expired = row.status == Status.SNOOZED and row.snoozed_until and row.snoozed_until <= at
    return {
        "id": row.id,
        "seq": row.seq,
        "type": row.type,
        "subject": row.subject,
        "time": row.time,
        "severity": row.severity,
        "topics": list(row.topics),
        "source_id": row.source_id,
        "status": Status.OPEN.value if expired else row.status,
        "assignee": row.assignee,
        "snoozed_until": row.snoozed_until,
        "note": row.note,
        "data": row.data,
    }


def delivery_out(row: DeliveryRow, event: EventRow) -> dict[str, Any]:
    """Return a delivery as the API shows it (the target is an id, never a URL)."""
    return {
        "id": row.id,
        "event_id": row.event_id,
        "event_type": event.type,
        "target": row.target,
        "status": row.status,
        "attempts": row.attempts,
        "next_attempt_at": row.next_attempt_at,
        "last_error": row.last_error,
        "sent_at": row.sent_at,
    }


def source_out(row: SourceRow) -> dict[str, Any]:
    """Return a source's health."""
    return {
        "id": row.id,
        "kind": row.kind,
        "url": row.url,
        "topics": list(row.topics),
        "enabled": row.enabled,
        "paused": row.paused_at is not None,
        "paused_by": row.paused_by,
        "last_status": row.last_status,
        "last_success_at": row.last_success_at,
        "last_error": row.last_error,
        "last_error_at": row.last_error_at,
        "consecutive_failures": row.consecutive_failures,
        "failing": row.failing,
        "next_poll_at": row.next_poll_at,
        "interval_seconds": row.current_interval or row.interval_seconds,
        "polls": row.polls,
    }


def webhook_out(row: WebhookEndpointRow) -> dict[str, Any]:
    """Return an endpoint without its secret."""
    return {
        "id": row.id,
        "url": row.url,
        "types": list(row.types),
        "enabled": row.enabled,
        "disabled_reason": row.disabled_reason,
        "origin": row.origin,
        "failing_since": row.failing_since,
    }


def _cursor(value: str | None) -> tuple[int, int] | None:
    if not value:
        return None
    try:
        rank, seq = base64.urlsafe_b64decode(value.encode() + b"==").decode().split(":")
        found = int(rank), int(seq)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        found = None
    if found is None or not (0 <= found[0] <= len(SEVERITY_RANK) and 0 <= found[1] <= MAX_SEQ):
        raise Problem(400, "not a cursor this API gave out")
    return found


def _next_cursor(rank: int, seq: int) -> str:
    return base64.urlsafe_b64encode(f"{rank}:{seq}".encode()).decode().rstrip("=")


def queue_filter(
    topic: str | None = None,
    actor: str | None = None,
    issue: str | None = None,
    event_type: Annotated[list[str] | None, Query(alias="type")] = None,
    source: str | None = None,
    status: Annotated[list[Status] | None, Query()] = None,
    severity: Annotated[str | None, Query(pattern="^(flash|urgent|routine)$")] = None,
) -> QueueFilter:
    """The queue's filters, from the query string (`status` defaults to the open queue)."""
    return QueueFilter(
        statuses=[s.value for s in status or []],
        topic=topic,
        actor=actor,
        issue=issue,
        types=list(event_type or []),
        source_id=source,
        severity=severity,
    )


Filters = Annotated[QueueFilter, Depends(queue_filter)]


@router.get("/events", response_model=EventPage)
def list_events(
    request: Request,
    _: Viewer,
    wanted: Filters,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> dict[str, Any]:
    """The queue: flash first, then urgent, then routine; newest first within a tier."""
    at, after = now(), _cursor(cursor)
    with request.app.state.tracker.db.reader() as uow:
        rows = uow.desk.queue(wanted, at, limit=limit + 1, after=after)
        total = uow.desk.count(wanted, at)
        page = rows[:limit]
        more = len(rows) > limit
        last = page[-1] if page else None
        return {
            "items": [event_out(r, at) for r in page],
            "next_cursor": _next_cursor(uow.desk.rank(last), last.seq) if more and last else None,
            "total": total,
        }


def _event(uow: Any, event_id: str) -> EventRow:
    row: EventRow | None = uow.events.get(event_id)
    if row is None:
        raise Problem(404, f"no event {event_id!r}")
    return row


@router.get("/events/{event_id}", response_model=EventDetail)
def get_event(request: Request, _: Viewer, event_id: str) -> dict[str, Any]:
    """One event, its deliveries and its audit trail."""
    with request.app.state.tracker.db.reader() as uow:
        row = _event(uow, event_id)
        deliveries = uow.deliveries.for_event(event_id)
        audit = uow.desk.audit_log(target=f"events/{event_id}", limit=100)
        return {
            **event_out(row, now()),
            "deliveries": [delivery_out(d, row) for d in deliveries],
            "story": story_out(uow, row),
            "audit": [
                {"at": a.at.isoformat(), "actor": a.actor, "action": a.action, **a.detail}
                for a in audit
            ],
        }


def story_out(uow: Any, row: EventRow) -> list[dict[str, Any]]:
    """Every source carrying the story of the statement an event came from (none for events
    that came from no statement, such as a source failing)."""
    if row.statement_id is None:
        return []
    return [
        {
            "source_id": s.source_id,
            "title": s.title,
            "url": s.url,
            "first_seen_at": s.first_seen_at,
            "published_at": s.published_at,
        }
        for s in uow.statements.story(row.statement_id)
    ]


def _act(
    request: Request, who: Principal, event_id: str, action: Action, body: ActionIn | None
) -> dict[str, Any]:
    body = body or ActionIn()
    at = now()
    with request.app.state.tracker.db.unit_of_work() as uow:
        try:
            row = desk.act(uow, event_id, action, who, at, note=body.note, until=body.until)
        except desk.NotFound as exc:
            raise Problem(404, str(exc)) from None
        except QueueConflict as exc:
            raise Problem(409, str(exc)) from None
        except InvalidAction as exc:
            raise Problem(422, str(exc)) from None
        uow.commit()
        return event_out(row, at)


@router.post("/events/{event_id}/claim", response_model=EventOut)
def claim(request: Request, who: Editor, event_id: str) -> dict[str, Any]:
    """Take an event; a second editor gets 409 while you hold it."""
    return _act(request, who, event_id, Action.CLAIM, None)


@router.post("/events/{event_id}/ack", response_model=EventOut)
def acknowledge(request: Request, who: Editor, event_id: str) -> dict[str, Any]:
    """Say you have seen it and are on it (claims it if nobody has)."""
    return _act(request, who, event_id, Action.ACKNOWLEDGE, None)


@router.post("/events/{event_id}/resolve", response_model=EventOut)
def resolve(
    request: Request, who: Editor, event_id: str, body: ActionIn | None = None
) -> dict[str, Any]:
    """Close it, with a note."""
    return _act(request, who, event_id, Action.RESOLVE, body)


@router.post("/events/{event_id}/snooze", response_model=EventOut)
def snooze(request: Request, who: Editor, event_id: str, body: ActionIn) -> dict[str, Any]:
    """Hide it until `until`; then it is open again."""
    return _act(request, who, event_id, Action.SNOOZE, body)


@router.post("/events/{event_id}/reopen", response_model=EventOut)
def reopen(
    request: Request, who: Editor, event_id: str, body: ActionIn | None = None
) -> dict[str, Any]:
    """Put it back on the queue, unclaimed."""
    return _act(request, who, event_id, Action.REOPEN, body)


@router.get("/state", response_model=StateOut)
def state(request: Request, _: Viewer, topic: str | None = None) -> dict[str, Any]:
    """Every actor's current position on every issue and every key fact, with provenance."""
    with request.app.state.tracker.db.reader() as uow:
        return topic_state(uow, topic)


@router.get("/sources", response_model=list[SourceOut])
def sources(request: Request, _: Viewer) -> list[dict[str, Any]]:
    """Every source's health."""
    with request.app.state.tracker.db.reader() as uow:
        return [source_out(r) for r in uow.sources.all()]


def _source_action(request: Request, who: Principal, source_id: str, pause: bool) -> dict[str, Any]:
    at = now()
    with request.app.state.tracker.db.unit_of_work() as uow:
        try:
            change = desk.pause_source if pause else desk.resume_source
            row = change(uow, source_id, who, at)
        except desk.NotFound as exc:
            raise Problem(404, str(exc)) from None
        uow.commit()
        return source_out(row)


@router.post("/sources/{source_id}/pause", response_model=SourceOut)
def pause_source(request: Request, who: Editor, source_id: str) -> dict[str, Any]:
    """Stop polling a source until it is resumed."""
    return _source_action(request, who, source_id, pause=True)


@router.post("/sources/{source_id}/resume", response_model=SourceOut)
def resume_source(request: Request, who: Editor, source_id: str) -> dict[str, Any]:
    """Poll a paused source again, from now."""
    return _source_action(request, who, source_id, pause=False)


@router.get("/webhooks", response_model=list[WebhookOut])
def list_webhooks(request: Request, _: Admin) -> list[dict[str, Any]]:
    """The webhook endpoints (secrets are never shown again)."""
    with request.app.state.tracker.db.reader() as uow:
        return [webhook_out(r) for r in uow.webhooks.all()]


@router.post("/webhooks", response_model=WebhookCreated, status_code=201)
def add_webhook(request: Request, who: Admin, body: WebhookIn) -> dict[str, Any]:
    """Add an endpoint; its `whsec_` secret is in this answer and never again."""
    at = now()
    with request.app.state.tracker.db.unit_of_work() as uow:
        try:
            created = webhooks.add(uow, body.url, body.types, new_secret(), at, body.id)
        except webhooks.WebhookError as exc:
            raise Problem(409 if "exists" in str(exc) else 422, str(exc)) from None
        uow.desk.audit(who.name, "webhook.add", f"webhooks/{created.id}", at, url=body.url)
        uow.session.flush()
        row = uow.webhooks.get(created.id)
        uow.commit()
        assert row is not None
        return {**webhook_out(row), "secret": created.secret}


def _webhook_enabled(
    request: Request, who: Principal, endpoint_id: str, enabled: bool
) -> dict[str, Any]:
    at = now()
    with request.app.state.tracker.db.unit_of_work() as uow:
        try:
            row = webhooks.set_enabled(uow, endpoint_id, enabled, at)
        except webhooks.WebhookError as exc:
            raise Problem(404, str(exc)) from None
        action = "webhook.enable" if enabled else "webhook.disable"
        uow.desk.audit(who.name, action, f"webhooks/{endpoint_id}", at)
        uow.commit()
        return webhook_out(row)


@router.post("/webhooks/{endpoint_id}/disable", response_model=WebhookOut)
def disable_webhook(request: Request, who: Admin, endpoint_id: str) -> dict[str, Any]:
    """Stop delivering to an endpoint."""
    return _webhook_enabled(request, who, endpoint_id, enabled=False)


@router.post("/webhooks/{endpoint_id}/enable", response_model=WebhookOut)
def enable_webhook(request: Request, who: Admin, endpoint_id: str) -> dict[str, Any]:
    """Deliver to an endpoint again."""
    return _webhook_enabled(request, who, endpoint_id, enabled=True)


@router.get("/deliveries", response_model=list[DeliveryOut])
def list_deliveries(
    request: Request,
    _: Viewer,
    failed: bool = False,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> list[dict[str, Any]]:
    """Recent deliveries, newest first (`failed=true`: given up on, or retrying after an error)."""
    with request.app.state.tracker.db.reader() as uow:
        found = uow.deliveries.list(failed=failed, limit=limit)
        return [delivery_out(d, e) for d, e in found]


@router.get("/audit", response_model=list[dict[str, Any]])
def audit(
    request: Request,
    _: Admin,
    target: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> list[dict[str, Any]]:
    """Who did what, newest first."""
    with request.app.state.tracker.db.reader() as uow:
        return [
            {
                "id": a.id,
                "at": a.at.isoformat(),
                "actor": a.actor,
                "action": a.action,
                "target": a.target,
                "detail": a.detail,
            }
            for a in uow.desk.audit_log(target=target, limit=limit)
        ]
