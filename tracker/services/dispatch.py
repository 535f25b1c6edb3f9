"""Lease sources for polling, in batches: one batch = one task = one transaction of results."""

from __future__ import annotations

import random
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from tracker.domain.politeness import MIN_DEFER_SECONDS, Grant, Politeness, take
from tracker.storage.database import Database, UnitOfWork


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
    lease = _Leaser(now, batch_size, lease_seconds, politeness or Politeness(), budget)
    batches = []
    for _ in range(max_batches):
        batch, more = lease.one(uow)
        if batch is not None:
            batches.append(batch)
        if not more:
            break
    return batches


def dispatch_due(
    db: Database,
    now: datetime,
    send: Callable[[Batch], None],
    *,
    batch_size: int,
    max_batches: int,
    lease_seconds: float,
    politeness: Politeness | None = None,
    budget: HostBudget | None = None,
) -> int:
    """Lease due sources as `lease_due` does, but each batch in its own short transaction,
    handed to `send` as soon as its lease is committed; return how many sources were sent.

    The first batch is being polled while the next is leased: one transaction for a tick's
    50 batches held every task back until the last was leased (a burst of 5,000 due sources
    waited about a second for its first poll).
    """
    lease = _Leaser(now, batch_size, lease_seconds, politeness or Politeness(), budget)
    sent = 0
    for _ in range(max_batches):
        with db.unit_of_work() as uow:
            batch, more = lease.one(uow)
            uow.commit()
        if batch is not None:
            send(batch)
            sent += len(batch.source_ids)
        if not more:
            break
    return sent


@dataclass
class _Leaser:
    """Leases one batch of due sources at a time within the hosts' budgets, counting the
    requests in flight once (a scan of the sources) and adding its own leases as it goes."""

    now: datetime
    batch_size: int
    lease_seconds: float
    politeness: Politeness
    budget: HostBudget | None
    busy: Counter[str] | None = None

    def one(self, uow: UnitOfWork) -> tuple[Batch | None, bool]:
        """Lease the next batch; return it (None if every due source was deferred) and
        whether more may be due."""
        due = uow.sources.due(self.now, self.batch_size)
        if not due:
            return None, False
        if self.busy is None:
            self.busy = Counter(uow.sources.in_flight(self.now))
        allowed = _within_budget(uow, due, self.now, self.politeness, self.budget, self.busy)
        token = new_token("p")
        until = self.now + timedelta(seconds=self.lease_seconds)
        ids = uow.sources.lease(allowed, self.now, token, until)
        hosts = dict(due)
        self.busy.update(hosts[source_id] for source_id in ids)
        return (Batch(token, ids) if ids else None), len(due) == self.batch_size


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
