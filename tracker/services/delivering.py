"""Send one delivery: claim its lease, send to its channel, record the attempt, schedule a retry.

Claim and record are separate short transactions around the send, so a slow channel holds
no database lock. A crash between send and record leaves the lease to run out and the
delivery is sent again: delivery is at-least-once, never at-most-once.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import structlog

from tracker.domain.messages import render
from tracker.domain.retry import next_attempt
from tracker.services.outbox import Queued, relay
from tracker.services.runtime import Runtime
from tracker.storage.database import Database
from tracker.storage.deliveries import DEAD, PENDING, SENT
from tracker.storage.models import DeliveryRow, EventRow

log = structlog.get_logger(__name__)
Clock = Callable[[], datetime]


class Sender(Protocol):
    """Sends one message to one channel URL."""

    def send(self, url: str, *, title: str, body: str, severity: str) -> _Result: ...


class _Result(Protocol):
    @property
    def error(self) -> str | None: ...


@dataclass(frozen=True)
class Outcome:
    """What a delivery task did: `skipped` when someone else had it or it was done already."""

    delivery_id: int
    status: str  # sent | retry | dead | skipped
    error: str | None = None


def _send(runtime: Runtime, sender: Sender, delivery: DeliveryRow, event: EventRow) -> str | None:
    kind, _, name = delivery.target.partition(":")
    url = runtime.channels.get(name) if kind == "channel" else None
    if url is None:
        return f"{delivery.target} is not configured"
    message = render(event.type, event.severity, event.data)
    return sender.send(url, title=message.title, body=message.body, severity=message.severity).error


def _finish(delivery: DeliveryRow, runtime: Runtime, error: str | None, now: datetime) -> str:
    delivery.lease_owner, delivery.lease_until, delivery.updated_at = None, None, now
    if error is None:
        delivery.status, delivery.sent_at, delivery.last_error = SENT, now, None
        return "sent"
    delivery.last_error = error
    due = next_attempt(now, delivery.attempts, runtime.retry_schedule)
    if due is None:
        delivery.status, delivery.next_attempt_at = DEAD, None
        return "dead"
    delivery.status, delivery.next_attempt_at = PENDING, due
    return "retry"


def deliver(
    db: Database,
    runtime: Runtime,
    sender: Sender,
    delivery_id: int,
    queued_by: str | None,
    *,
    clock: Clock,
) -> Outcome:
    """Make one attempt at a delivery, if it is due and free; idempotent once it is sent."""
    owner = f"d:{uuid.uuid4().hex}"
    now = clock()
    with db.unit_of_work() as uow:
        if not uow.deliveries.claim(
            delivery_id, queued_by, owner, now + timedelta(seconds=runtime.delivery_lease), now
        ):
            return Outcome(delivery_id, "skipped")
        held = uow.deliveries.held(delivery_id, owner)
        uow.commit()
    assert held is not None
    delivery, event = held
    started, tick = clock(), time.monotonic()
    error = _send(runtime, sender, delivery, event)
    duration_ms = int((time.monotonic() - tick) * 1000)
    with db.unit_of_work() as uow:
        again = uow.deliveries.held(delivery_id, owner)
        if again is None:
            log.warning("delivery lease lost before recording", delivery_id=delivery_id)
            return Outcome(delivery_id, "skipped", error)
        row = again[0]
        uow.deliveries.record_attempt(row, started=started, duration_ms=duration_ms, error=error)
        status = _finish(row, runtime, error, clock())
        uow.commit()
    log.info(
        "delivery attempted",
        delivery_id=delivery_id,
        event_id=event.id,
        target=delivery.target,
        status=status,
        error=error,
        attempt=row.attempts,
    )
    return Outcome(delivery_id, status, error)


def relay_due(db: Database, runtime: Runtime, *, clock: Clock) -> list[Queued]:
    """Lease deliveries that are due and not queued; the caller enqueues them after this commits."""
    with db.unit_of_work() as uow:
        queued = relay(uow, runtime, clock())
        uow.commit()
    return queued


def deliver_due_inline(
    db: Database, runtime: Runtime, sender: Sender, *, clock: Clock, workers: int = 8
) -> list[Outcome]:
    """Send every due delivery now, concurrently, without a broker (for `tracker poll --once`)."""
    outcomes: list[Outcome] = []
    with ThreadPoolExecutor(max_workers=workers) as pool:
        while queued := relay_due(db, runtime, clock=clock):
            outcomes += pool.map(
                lambda q: deliver(db, runtime, sender, q.delivery_id, q.token, clock=clock), queued
            )
    return outcomes
