"""Send one delivery: claim its lease, send to its channel or webhook, record the attempt,
schedule a retry. A digest delivery takes its whole window with it, as one message.

Claim and record are separate short transactions around the send, so a slow receiver holds
no database lock. A crash between send and record leaves the lease to run out and the
delivery is sent again: delivery is at-least-once (webhook consumers dedupe on webhook-id).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import Any, Protocol

import structlog

from tracker.domain.events import Event, Severity, cloudevent
from tracker.domain.retry import next_attempt
from tracker.services.outbox import Queued, emit, relay
from tracker.services.runtime import Runtime
from tracker.storage.database import Database, UnitOfWork
from tracker.storage.deliveries import DEAD, PENDING, SENT
from tracker.storage.models import DeliveryRow, EventRow, WebhookEndpointRow

log = structlog.get_logger(__name__)
Clock = Callable[[], datetime]


class _Error(Protocol):
    @property
    def error(self) -> str | None: ...


class ChannelSender(Protocol):
    """Sends one message to one apprise URL."""

    def send(self, url: str, message: Any) -> _Error: ...


class WebhookPoster(Protocol):
    """POSTs one signed CloudEvent."""

    def post(self, url: str, secrets: list[str], event: dict[str, Any]) -> Any: ...

    def close(self) -> None: ...


class Renderer(Protocol):
    """Renders alerts for a format."""

    def render(self, event_type: str, severity: str, data: dict[str, Any], fmt: str) -> Any: ...

    def digest(self, events: list[tuple[str, str, dict[str, Any]]], fmt: str) -> Any: ...


@dataclass(frozen=True)
class Senders:
    """The adapters deliveries go through."""

    channel: ChannelSender
    webhook: WebhookPoster
    renderer: Renderer

    def close(self) -> None:
        """Close pooled connections."""
        self.webhook.close()


@dataclass(frozen=True)
class Outcome:
    """What a delivery task did: `skipped` when someone else had it or it was done already."""

    delivery_id: int
    status: str  # sent | retry | dead | skipped
    error: str | None = None


@dataclass(frozen=True)
class Result:
    """How one send went, in the terms the rows record."""

    error: str | None
    status_code: int | None = None
    retry_after: float | None = None
    gone: bool = False


def _send_channel(
    runtime: Runtime, senders: Senders, target: str, events: list[EventRow]
) -> Result:
    url = runtime.target_urls.get(target)
    if url is None:
        return Result(f"{target} is not configured")
    fmt = runtime.target_formats.get(target, "text")
    if len(events) == 1:  # a digest window that caught one event reads as that alert
        message = senders.renderer.render(events[0].type, events[0].severity, events[0].data, fmt)
    else:
        message = senders.renderer.digest([(e.type, e.severity, e.data) for e in events], fmt)
    return Result(senders.channel.send(url, message).error)


def _send_webhook(
    senders: Senders, endpoint: WebhookEndpointRow | None, event: EventRow, now: datetime
) -> Result:
    if endpoint is None or not endpoint.enabled:
        return Result("the webhook endpoint is disabled or gone", gone=True)
    secrets = [endpoint.secret]
    if (
        endpoint.previous_secret
        and endpoint.previous_secret_until
        and endpoint.previous_secret_until > now
    ):
        secrets.append(endpoint.previous_secret)  # during a rotation, sign with both
    body = cloudevent(
        event_id=event.id,
        type_=event.type,
        source=event.source,
        subject=event.subject,
        time=event.time,
        severity=event.severity,
        data=event.data,
    )
    sent = senders.webhook.post(endpoint.url, secrets, body)
    return Result(sent.error, sent.status_code, sent.retry_after, sent.gone)


def _finish(delivery: DeliveryRow, runtime: Runtime, result: Result, now: datetime) -> str:
    delivery.lease_owner, delivery.lease_until, delivery.updated_at = None, None, now
    if result.error is None:
        delivery.status, delivery.sent_at, delivery.last_error = SENT, now, None
        return "sent"
    delivery.last_error = result.error
    due = (
        None
        if result.gone
        else next_attempt(
            now, delivery.attempts, runtime.retry_schedule, retry_after=result.retry_after
        )
    )
    if due is None:
        delivery.status, delivery.next_attempt_at = DEAD, None
        return "dead"
    delivery.status, delivery.next_attempt_at = PENDING, due
    return "retry"


def _disable(
    uow: UnitOfWork, runtime: Runtime, endpoint: WebhookEndpointRow, reason: str, now: datetime
) -> None:
    endpoint.enabled, endpoint.disabled_reason, endpoint.updated_at = False, reason, now
    abandoned = uow.deliveries.abandon_target(
        f"webhook:{endpoint.id}", f"endpoint disabled: {reason}", now
    )
    event = Event(
        type="endpoint.disabled",
        source_id="webhooks",
        subject=f"webhooks/{endpoint.id}",
        time=now,
        data={
            "endpoint": {"id": endpoint.id, "url": endpoint.url},
            "reason": reason,
            "abandoned": abandoned,
        },
        severity=Severity.URGENT,
        source_uri=f"/webhooks/{endpoint.id}",
    )
    emit(uow, runtime, [event], now, queued_by=None)
    log.warning("webhook endpoint disabled", endpoint=endpoint.id, reason=reason)


def _endpoint_health(
    uow: UnitOfWork, runtime: Runtime, endpoint: WebhookEndpointRow, result: Result, now: datetime
) -> None:
    if result.error is None:
        endpoint.failing_since = None
        return
    if result.gone and endpoint.enabled and result.status_code == HTTPStatus.GONE:
        _disable(uow, runtime, endpoint, "the receiver answered 410 Gone", now)
        return
    endpoint.failing_since = endpoint.failing_since or now
    if endpoint.enabled and now - endpoint.failing_since >= timedelta(
        seconds=runtime.webhook_disable_after
    ):
        days = runtime.webhook_disable_after / 86_400
        _disable(uow, runtime, endpoint, f"every delivery failed for {days:g} days", now)


Held = list[tuple[DeliveryRow, EventRow]]


def _claim(
    db: Database,
    runtime: Runtime,
    delivery_id: int,
    queued_by: str | None,
    owner: str,
    now: datetime,
) -> tuple[Held, WebhookEndpointRow | None]:
    until = now + timedelta(seconds=runtime.delivery_lease)
    with db.unit_of_work() as uow:
        uow.deliveries.lock_digest(delivery_id)
        if not uow.deliveries.claim(delivery_id, queued_by, owner, until, now):
            if queued_by is not None:
                # Not sendable yet (an earlier event of its subject is still pending): give the
                # queue lease back, so the relay takes it up on its first tick once in order.
                uow.deliveries.release(delivery_id, queued_by)
                uow.commit()
            return [], None
        held = uow.deliveries.held_many([delivery_id], owner)
        if held and held[0][0].digest_key:
            held = uow.deliveries.held_many(
                uow.deliveries.claim_digest(held[0][0], queued_by, owner, until, now), owner
            )
        target = held[0][0].target if held else ""
        endpoint = (
            uow.webhooks.get(target.removeprefix("webhook:"))
            if target.startswith("webhook:")
            else None
        )
        uow.commit()
    return held, endpoint


def deliver(
    db: Database,
    runtime: Runtime,
    senders: Senders,
    delivery_id: int,
    queued_by: str | None,
    *,
    clock: Clock,
) -> Outcome:
    """Make one attempt at a delivery (and its digest), if due and free; idempotent once sent."""
    owner = f"d:{uuid.uuid4().hex}"
    held, endpoint = _claim(db, runtime, delivery_id, queued_by, owner, clock())
    if not held:
        return Outcome(delivery_id, "skipped")
    first = held[0][0]
    started, tick = clock(), time.monotonic()
    if first.target.startswith("webhook:"):
        result = _send_webhook(senders, endpoint, held[0][1], started)
    else:
        result = _send_channel(runtime, senders, first.target, [e for _, e in held])
    duration_ms = int((time.monotonic() - tick) * 1000)
    status = "skipped"
    with db.unit_of_work() as uow:
        rows = uow.deliveries.held_many([d.id for d, _ in held], owner)
        if not rows:
            log.warning("delivery lease lost before recording", delivery_id=delivery_id)
            return Outcome(delivery_id, "skipped", result.error)
        now = clock()
        for row, _ in rows:
            uow.deliveries.record_attempt(
                row,
                started=started,
                duration_ms=duration_ms,
                error=result.error,
                status_code=result.status_code,
            )
            status = _finish(row, runtime, result, now)
        if endpoint is not None and (live := uow.webhooks.get(endpoint.id)) is not None:
            _endpoint_health(uow, runtime, live, result, now)
        uow.commit()
    log.info(
        "delivery attempted",
        delivery_id=delivery_id,
        target=first.target,
        status=status,
        error=result.error,
        attempt=rows[0][0].attempts,
        messages=len(rows),
    )
    return Outcome(delivery_id, status, result.error)


def relay_due(db: Database, runtime: Runtime, *, clock: Clock) -> list[Queued]:
    """Lease deliveries that are due and not queued; the caller enqueues them after this commits."""
    with db.unit_of_work() as uow:
        queued = relay(uow, runtime, clock())
        uow.commit()
    return queued


def deliver_due_inline(
    db: Database,
    runtime: Runtime,
    senders: Senders | Callable[[], Senders],
    *,
    clock: Clock,
    workers: int = 8,
) -> list[Outcome]:
    """Send every due delivery now, concurrently, without a broker (for `tracker poll --once`).

    `senders` may be a function that builds them: then they are built only when something is
    due (apprise alone takes a second to import, which a run with nothing to send skips).
    """
    outcomes: list[Outcome] = []
    with ThreadPoolExecutor(max_workers=workers) as pool:
        while queued := relay_due(db, runtime, clock=clock):
            if not isinstance(senders, Senders):
                senders = senders()
            sending = [
                pool.submit(deliver, db, runtime, senders, q.delivery_id, q.token, clock=clock)
                for q in queued
            ]
            outcomes += [future.result() for future in sending]
    return outcomes
