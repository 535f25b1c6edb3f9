"""Webhook endpoints managed from the CLI (and the API): add, list, disable, rotate, replay."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from fnmatch import fnmatchcase

from sqlalchemy import select

from tracker.storage.database import UnitOfWork
from tracker.storage.deliveries import PENDING
from tracker.storage.models import DeliveryRow, EventRow, WebhookEndpointRow

ROTATION_OVERLAP = timedelta(hours=24)  # the old secret keeps signing this long after a rotation


class WebhookError(Exception):
    """A webhook command cannot be carried out; the message says why."""


@dataclass(frozen=True)
class Created:
    """A new endpoint and its secret (shown once)."""

    id: str
    secret: str


def add(
    uow: UnitOfWork,
    url: str,
    types: list[str],
    secret: str,
    now: datetime,
    endpoint_id: str | None = None,
) -> Created:
    """Add an endpoint from the CLI."""
    if not re.match(r"^https?://[^/\s]+", url):
        raise WebhookError(f"not an http(s) URL: {url!r}")
    ident = endpoint_id or f"wh_{uuid.uuid4().hex[:10]}"
    if uow.webhooks.get(ident) is not None:
        raise WebhookError(f"an endpoint {ident!r} exists already")
    uow.webhooks.add(
        WebhookEndpointRow(
            id=ident,
            url=url,
            secret=secret,
            types=types,
            enabled=True,
            origin="cli",
            created_at=now,
            updated_at=now,
        )
    )
    return Created(ident, secret)


def _endpoint(uow: UnitOfWork, endpoint_id: str) -> WebhookEndpointRow:
    row = uow.webhooks.get(endpoint_id)
    if row is None:
        known = ", ".join(e.id for e in uow.webhooks.all()) or "none"
        raise WebhookError(f"no webhook endpoint {endpoint_id!r} (known: {known})")
    return row


def set_enabled(
    uow: UnitOfWork, endpoint_id: str, enabled: bool, now: datetime
) -> WebhookEndpointRow:
    """Enable or disable an endpoint (enabling clears its failure streak)."""
    row = _endpoint(uow, endpoint_id)
    row.enabled, row.updated_at = enabled, now
    row.disabled_reason = None if enabled else "disabled by an operator"
    if enabled:
        row.failing_since = None
    return row


def rotate(uow: UnitOfWork, endpoint_id: str, secret: str, now: datetime) -> str:
    """Give an endpoint a new secret; the old one also signs for 24 hours."""
    row = _endpoint(uow, endpoint_id)
    if row.origin == "config":
        raise WebhookError(f"{endpoint_id!r} comes from the config file: change its secret there")
    row.previous_secret, row.previous_secret_until = row.secret, now + ROTATION_OVERLAP
    row.secret, row.updated_at = secret, now
    return secret


def replay(
    uow: UnitOfWork,
    endpoint_id: str,
    now: datetime,
    *,
    since: datetime | None = None,
    event_ids: list[str] | None = None,
) -> int:
    """Send events again to an endpoint, with their original ids; return how many were queued."""
    row = _endpoint(uow, endpoint_id)
    if not row.enabled:
        raise WebhookError(f"{endpoint_id!r} is disabled ({row.disabled_reason}): enable it first")
    query = select(EventRow).order_by(EventRow.seq)
    if since is not None:
        query = query.where(EventRow.created_at >= since)
    if event_ids:
        query = query.where(EventRow.id.in_(event_ids))
    chosen = [
        e
        for e in uow.session.scalars(query)
        if not row.types or any(fnmatchcase(e.type, t) for t in row.types)
    ]
    target = f"webhook:{endpoint_id}"
    existing = uow.deliveries.for_target(target, [e.id for e in chosen])
    for event in chosen:
        delivery = existing.get(event.id)
        if delivery is None:
            uow.deliveries.add(
                DeliveryRow(
                    event_id=event.id,
                    target=target,
                    route_id=None,
                    subject=event.subject,
                    event_seq=event.seq,
                    status=PENDING,
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                    updated_at=now,
                )
            )
        else:
            delivery.status, delivery.next_attempt_at, delivery.updated_at = PENDING, now, now
            delivery.lease_owner = delivery.lease_until = None
    return len(chosen)
