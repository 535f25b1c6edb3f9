"""Lease sources for polling, in batches: one batch = one task = one transaction of results."""

from __future__ import annotations

import random
import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from tracker.domain.politeness import MIN_DEFER_SECONDS, Grant, Politeness, take
from tracker.storage.database import UnitOfWork


@dataclass(frozen=True)
class Batch:
    """Sources leased together under one token; only the token's holder may record their polls."""

    token: str
    source_ids: list[str]


def new_token(prefix: str) -> str:
    """Return a unique lease token."""
    return f"{prefix}:{uuid.uuid4().hex}"


class HostBudget(Protocol):
    """Where hosts' politeness buckets live when not in the database (Redis), shared by every
    dispatcher."""

    def spend(self, wants: dict[str, int], now: float, politeness: Politeness) -> dict[str, Grant]:
        """Spend up to `wants[host]` requests of each host's bucket at `now` (epoch seconds)."""
        ...


def _spend_in_database(
    uow: UnitOfWork, wants: dict[str, int], now: float, politeness: Politeness
) -> dict[str, Grant]:
    buckets = uow.hosts.load(list(wants))
    grants = {}
    for host, want in wants.items():
        grants[host], buckets[host] = take(buckets.get(host), want, now, politeness.policy(host))
    uow.hosts.save(buckets)
    return grants


def lease_due(
    uow: UnitOfWork,
    now: datetime,
    *,
    batch_size: int,
    max_batches: int,
    lease_seconds: float,
    politeness: Politeness | None = None,
    budget: HostBudget | None = None,
) -> list[Batch]:
    """Lease due sources into at most `max_batches` batches of `batch_size`, within each
    host's politeness budget (requests in flight and requests a second, shared by every
    worker through the database or `budget`); a source denied a slot is made due again a
    little later, never waited for."""
    politeness = politeness or Politeness()
    until = now + timedelta(seconds=lease_seconds)
    batches = []
    busy: Counter[str] | None = None
    for _ in range(max_batches):
        due = uow.sources.due(now, batch_size)
        if not due:
            break
        if busy is None:  # counted once a tick; the tick's own leases are added as it goes
            busy = Counter(uow.sources.in_flight(now))
        allowed = _within_budget(uow, due, now, politeness, budget, busy)
        token = new_token("p")
        ids = uow.sources.lease(allowed, now, token, until)
        hosts = dict(due)
        busy.update(hosts[source_id] for source_id in ids)
        if ids:
            batches.append(Batch(token, ids))
        if len(due) < batch_size:
            break
    return batches


def _within_budget(
    uow: UnitOfWork,
    due: list[tuple[str, str]],
    now: datetime,
    politeness: Politeness,
    budget: HostBudget | None,
    busy: Counter[str],
) -> list[str]:
    """Return the due sources their hosts' budgets allow now, given the requests `busy` in
    flight per host; defer the others."""
    by_host: dict[str, list[str]] = defaultdict(list)
    for source_id, host in due:
        by_host[host].append(source_id)
    wants, waits = {}, {}
    for host, ids in by_host.items():
        room = max(0, politeness.policy(host).concurrency - busy.get(host, 0))
        wants[host] = min(len(ids), room)
        if room < len(ids):  # the rest wait for a request in flight to finish
            waits[host] = MIN_DEFER_SECONDS * 2
    epoch = now.timestamp()
    grants = (
        _spend_in_database(uow, wants, epoch, politeness)
        if budget is None
        else budget.spend(wants, epoch, politeness)
    )
    allowed = []
    for host, ids in by_host.items():
        grant = grants.get(host, Grant(0, MIN_DEFER_SECONDS))
        allowed += ids[: grant.granted]
        denied = ids[grant.granted :]
        if denied:
            wait = max(waits.get(host, 0.0), grant.wait, MIN_DEFER_SECONDS)
            spread = random.uniform(1.0, 1.5)  # noqa: S311 - jitter spreads load; not security
            uow.sources.defer(denied, now + timedelta(seconds=wait * spread))
    return allowed


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
