"""The outbox: events and their deliveries, written in the caller's transaction.

Each event gets its severity from the rules, then one delivery per routed channel target and
per webhook endpoint that wants it; quiet hours, digests and cooldowns decide when (and
whether) each goes out; an event whose claim needs review has its deliveries held until an
editor confirms it. A delivery created here is marked as queued by the writer
(`queued_by`), which enqueues it right after commit; if that message is lost, the queue lease
runs out and `relay` picks it up from its row. Nothing depends on the broker keeping a message.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from tracker.domain.delivery_plan import Plan, plan_delivery
from tracker.domain.events import Event, Severity
from tracker.domain.queue import Status
from tracker.domain.routing import Route, RouteKey, WebhookRoute, channels_for, severity_for
from tracker.services.dispatch import new_token
from tracker.services.runtime import Runtime
from tracker.storage.database import UnitOfWork
from tracker.storage.deliveries import HELD, PENDING
from tracker.storage.models import DeliveryRow, EventRow


@dataclass(frozen=True)
class Queued:
    """A delivery handed to the queue, with the token that lets its task claim it."""

    delivery_id: int
    token: str


def route_key(event: Event) -> RouteKey:
    """Return what rules match an event on."""
    return RouteKey.of(event.type, event.severity.value, event.topics, event.source_id, event.data)


def _with_severity(runtime: Runtime, event: Event) -> Event:
    severity = severity_for(runtime.severity_rules, route_key(event))
    return (
        event
        if severity == event.severity.value
        else dataclasses.replace(event, severity=Severity(severity))
    )


def _row(
    row: EventRow,
    target: str,
    route: Route | None,
    plan: Plan,
    now: datetime,
    queued: tuple[str, datetime] | None,
) -> DeliveryRow:
    held = row.status == Status.NEEDS_REVIEW  # its claim waits for an editor: nothing goes out
    immediate = not held and plan.status == PENDING and plan.due is not None and plan.due <= now
    return DeliveryRow(
        event_id=row.id,
        target=target,
        route_id=route.id if route else None,
        subject=row.subject,
        event_seq=row.seq,
        digest_key=plan.digest_key,
        status=HELD if held and plan.status == PENDING else plan.status,
        attempts=0,
        next_attempt_at=plan.due,
        lease_owner=queued[0] if queued and immediate else None,
        lease_until=queued[1] if queued and immediate else None,
        created_at=now,
        updated_at=now,
    )


def _deliveries(
    uow: UnitOfWork,
    runtime: Runtime,
    row: EventRow,
    webhooks: list[WebhookRoute],
    now: datetime,
    queued: tuple[str, datetime] | None,
) -> list[DeliveryRow]:
    key = RouteKey.of(row.type, row.severity, tuple(row.topics), row.source_id or "", row.data)
    out = []
    for route, channel in channels_for(runtime.routes, key):
        for target in runtime.channels.get(channel, []):
            last = (
                uow.deliveries.last_created(route.id, target, row.subject)
                if route.cooldown
                else None
            )
            plan = plan_delivery(
                now=now,
                severity=row.severity,
                route=route,
                quiet=runtime.quiet_hours.get(channel),
                last_for_subject=last,
            )
            out.append(_row(row, target, route, plan, now, queued))
    for hook in webhooks:
        if hook.matches(key):
            plan = plan_delivery(
                now=now, severity=row.severity, route=None, quiet=None, last_for_subject=None
            )
            out.append(_row(row, f"webhook:{hook.endpoint}", None, plan, now, queued))
    return out


def emit(
    uow: UnitOfWork, runtime: Runtime, events: Sequence[Event], now: datetime, queued_by: str | None
) -> list[DeliveryRow]:
    """Store events and their deliveries; return the deliveries due now (to enqueue)."""
    if not events:
        return []
    rows = [uow.events.add(_with_severity(runtime, event), now) for event in events]
    uow.session.flush()  # deliveries reference events (and their order): insert those first
    webhooks = [WebhookRoute(e.id, tuple(e.types)) for e in uow.webhooks.enabled()]
    queued = (queued_by, now + timedelta(seconds=runtime.queue_lease)) if queued_by else None
    deliveries = [d for row in rows for d in _deliveries(uow, runtime, row, webhooks, now, queued)]
    for delivery in deliveries:
        uow.deliveries.add(delivery)
    return [d for d in deliveries if d.lease_owner is not None]


def relay(uow: UnitOfWork, runtime: Runtime, now: datetime) -> list[Queued]:
    """Lease due deliveries that no one has queued (or whose queue lease ran out)."""
    token = new_token("q")
    until = now + timedelta(seconds=runtime.queue_lease)
    return [
        Queued(i, token) for i in uow.deliveries.lease_due(now, token, until, runtime.relay_batch)
    ]
