"""Lease sources for polling, in batches: one batch = one task = one transaction of results."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from tracker.storage.database import UnitOfWork


@dataclass(frozen=True)
class Batch:
    """Sources leased together under one token; only the token's holder may record their polls."""

    token: str
    source_ids: list[str]


def new_token(prefix: str) -> str:
    """Return a unique lease token."""
    return f"{prefix}:{uuid.uuid4().hex}"


def lease_due(
    uow: UnitOfWork, now: datetime, *, batch_size: int, max_batches: int, lease_seconds: float
) -> list[Batch]:
    """Lease due sources into at most `max_batches` batches of `batch_size`."""
    until = now + timedelta(seconds=lease_seconds)
    batches = []
    for _ in range(max_batches):
        token = new_token("p")
        ids = uow.sources.lease_due(now, token, until, batch_size)
        if ids:
            batches.append(Batch(token, ids))
        if len(ids) < batch_size:
            break
    return batches


def lease_now(
    uow: UnitOfWork,
    now: datetime,
    ids: Sequence[str] | None,
    *,
    batch_size: int,
    lease_seconds: float,
) -> list[Batch]:
    """Lease the given (or all enabled) sources regardless of schedule, skipping leased ones."""
    token = new_token("p")
    leased = uow.sources.lease_now(ids, now, token, now + timedelta(seconds=lease_seconds))
    return [
        Batch(token, leased[start : start + batch_size])
        for start in range(0, len(leased), batch_size)
    ]
