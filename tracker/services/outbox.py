"""The outbox: events and their deliveries, written in the caller's transaction.

A delivery created here is marked as queued by the writer (`queued_by`), which enqueues it
right after commit; if that message is lost, the queue lease runs out and `relay` picks the
delivery up from its row. Nothing depends on the broker keeping a message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from tracker.domain.events import Event
from tracker.domain.routing import RouteKey, channels_for
from tracker.services.dispatch import new_token
from tracker.services.runtime import Runtime
from tracker.storage.database import UnitOfWork
from tracker.storage.models import DeliveryRow


@dataclass(frozen=True)
class Queued:
    """A delivery handed to the queue, with the token that lets its task claim it."""

    delivery_id: int
    token: str


def channel_target(channel_id: str) -> str:
    """Return the delivery target name of a channel."""
    return f"channel:{channel_id}"


def emit(
    uow: UnitOfWork, runtime: Runtime, events: Sequence[Event], now: datetime, queued_by: str | None
) -> list[DeliveryRow]:
    """Store events and one pending delivery per routed channel; return the deliveries."""
    if not events:
        return []
    for event in events:
        uow.events.add(event, now)
    uow.session.flush()  # deliveries reference events: insert those first
    until = now + timedelta(seconds=runtime.queue_lease) if queued_by else None
    return [
        uow.deliveries.add(
            event.id, channel_target(channel), now, queued_by=queued_by, queued_until=until
        )
        for event in events
        for channel in channels_for(runtime.routes, _route_key(event))
    ]


def _route_key(event: Event) -> RouteKey:
    return RouteKey(event.type, event.severity.value, event.topics, event.source_id)


def relay(uow: UnitOfWork, runtime: Runtime, now: datetime) -> list[Queued]:
    """Lease due deliveries that no one has queued (or whose queue lease ran out)."""
    token = new_token("q")
    until = now + timedelta(seconds=runtime.queue_lease)
    return [
        Queued(i, token) for i in uow.deliveries.lease_due(now, token, until, runtime.relay_batch)
    ]
