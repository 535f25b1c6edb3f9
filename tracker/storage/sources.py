"""The sources repository: sync from configuration, lease due sources, record poll results."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, bindparam, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from tracker.domain.politeness import Bucket, host_of
from tracker.domain.sources import SourceSpec
from tracker.storage.models import HostBudgetRow, SourceRow


@dataclass(frozen=True)
class SyncReport:
    """What a configuration sync changed."""

    added: list[str]
    updated: list[str]
    disabled: list[str]


@dataclass(frozen=True)
class Leased:
    """What a poll needs of a leased source before the fetch: where, and the validators."""

    id: str
    kind: str
    url: str
    etag: str | None
    last_modified: str | None
    content_hash: str | None


@dataclass(frozen=True)
class Standing:
    """What recording a 304 needs of a held source, read without loading the whole row."""

    id: str
    url: str
    etag: str | None
    last_modified: str | None
    interval_seconds: float
    current_interval: float | None
    consecutive_failures: int
    failing: bool
    first_poll: bool  # never polled successfully


@dataclass(frozen=True)
class UnchangedPoll:
    """A source's bookkeeping after a poll that found nothing new: new validators and schedule
    (the rest is the same for every such poll: healthy, polled now, lease released)."""

    id: str
    etag: str | None
    last_modified: str | None
    current_interval: float | None
    next_poll_at: datetime


def _spec_dict(spec: SourceSpec) -> dict[str, Any]:
    """Return the spec as stored: JSON-shaped, and without header values (they may be secrets)."""
    values = asdict(spec)
    values["topics"] = list(spec.topics)
    if spec.adaptive is not None:
        values["adaptive"] = list(spec.adaptive)  # as JSON stores it, so a re-sync compares equal
    values["header_names"] = sorted(values.pop("headers"))
    return values


def _apply(row: SourceRow, spec: SourceSpec, now: datetime) -> bool:
    changed = False
    if row.url != spec.url:
        # A new URL has nothing in common with the old one's validators.
        row.etag = row.last_modified = row.content_hash = None
        row.next_poll_at = now
        changed = True
    new_interval = timedelta(seconds=spec.interval)
    if row.interval_seconds != spec.interval and row.next_poll_at > now + new_interval:
        row.next_poll_at = now + new_interval
    if row.interval_seconds != spec.interval or spec.adaptive is None:
        row.current_interval = None  # a new configured interval starts adapting afresh
    values = {
        "kind": spec.kind,
        "url": spec.url,
        "host": host_of(spec.url),
        "interval_seconds": spec.interval,
        "topics": list(spec.topics),
        "spec": _spec_dict(spec),
        "enabled": spec.enabled,
    }
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    if changed:
        row.updated_at = now
    return changed


class SourceRepository:
    """Source rows, leased with conditional UPDATEs so concurrent callers never share one."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def all(self) -> list[SourceRow]:
        """Return every source, enabled or not, by id."""
        return list(self.session.scalars(select(SourceRow).order_by(SourceRow.id)))

    def get(self, source_id: str) -> SourceRow | None:
        """Return one source."""
        return self.session.get(SourceRow, source_id)

    def sync(self, specs: Sequence[SourceSpec], now: datetime) -> SyncReport:
        """Match the table to the configuration; a removed source is disabled, not deleted."""
        rows = {row.id: row for row in self.session.scalars(select(SourceRow))}
        added, updated = [], []
        for spec in specs:
            row = rows.pop(spec.id, None)
            if row is None:
                self.session.add(
                    SourceRow(
                        id=spec.id,
                        kind=spec.kind,
                        url=spec.url,
                        host=host_of(spec.url),
                        interval_seconds=spec.interval,
                        topics=list(spec.topics),
                        spec=_spec_dict(spec),
                        enabled=spec.enabled,
                        next_poll_at=now,
                        created_at=now,
                        updated_at=now,
                        last_status="pending",
                        consecutive_failures=0,
                        failing=False,
                        polls=0,
                    )
                )
                added.append(spec.id)
            elif _apply(row, spec, now):
                updated.append(spec.id)
        disabled = [row.id for row in rows.values() if row.enabled]
        for source_id in disabled:
            rows[source_id].enabled = False
            rows[source_id].updated_at = now
        self.session.flush()
        return SyncReport(added, updated, disabled)

    @staticmethod
    def _free(now: datetime) -> ColumnElement[bool]:
        return or_(SourceRow.lease_until.is_(None), SourceRow.lease_until < now)

    def due(self, now: datetime, limit: int) -> list[tuple[str, str]]:
        """Lock and return up to `limit` enabled sources that are due and not leased, most
        overdue first, as (id, host); rows locked elsewhere are skipped."""
        query = (
            select(SourceRow.id, SourceRow.host)
            .where(
                SourceRow.enabled.is_(True),
                SourceRow.paused_at.is_(None),
                SourceRow.next_poll_at <= now,
                self._free(now),
            )
            .order_by(SourceRow.next_poll_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [(row.id, row.host) for row in self.session.execute(query)]

    def in_flight(self, now: datetime) -> dict[str, int]:
        """Return how many sources of each host are leased (being polled) now."""
        query = (
            select(SourceRow.host, func.count())
            .where(SourceRow.lease_until >= now)
            .group_by(SourceRow.host)
        )
        return {host: int(n) for host, n in self.session.execute(query)}

    def lease(self, ids: Sequence[str], now: datetime, owner: str, until: datetime) -> list[str]:
        """Lease the given sources (those still free) to `owner`; return the ids it holds."""
        return self._lease(list(ids), now, owner, until)

    def defer(self, ids: Sequence[str], until: datetime) -> None:
        """Make sources due again at `until` (denied a slot by their host's budget)."""
        if ids:
            self.session.execute(
                update(SourceRow).where(SourceRow.id.in_(ids)).values(next_poll_at=until)
            )

    def lease_now(
        self, ids: Sequence[str] | None, now: datetime, owner: str, until: datetime
    ) -> list[str]:
        """Lease the given (or all) enabled sources now, whatever their schedule, unless leased
        or paused: an editor's pause holds for `tracker poll --once` too."""
        query = select(SourceRow.id).where(
            SourceRow.enabled.is_(True), SourceRow.paused_at.is_(None), self._free(now)
        )
        if ids is not None:
            query = query.where(SourceRow.id.in_(ids))
        return self._lease(
            list(self.session.scalars(query.with_for_update(skip_locked=True))), now, owner, until
        )

    def _lease(self, ids: list[str], now: datetime, owner: str, until: datetime) -> list[str]:
        if not ids:
            return []
        self.session.execute(
            update(SourceRow)
            .where(SourceRow.id.in_(ids), self._free(now))
            .values(lease_owner=owner, lease_until=until)
        )
        held = select(SourceRow.id).where(SourceRow.id.in_(ids), SourceRow.lease_owner == owner)
        return sorted(self.session.scalars(held))

    def leased(self, owner: str, ids: Sequence[str], valid_at: datetime) -> list[Leased]:
        """Return the sources among `ids` leased by `owner` and unexpired at `valid_at`, as
        plain values (a poll reads a few columns of many rows: no ORM objects to build)."""
        query = (
            select(
                SourceRow.id,
                SourceRow.kind,
                SourceRow.url,
                SourceRow.etag,
                SourceRow.last_modified,
                SourceRow.content_hash,
            )
            .where(
                SourceRow.id.in_(ids),
                SourceRow.lease_owner == owner,
                SourceRow.lease_until > valid_at,
            )
            .order_by(SourceRow.id)
        )
        return [Leased(*r) for r in self.session.execute(query)]

    def held(self, owner: str, ids: Sequence[str]) -> list[SourceRow]:
        """Lock and return the sources among `ids` leased by `owner`.

        Recording checks only the owner: a lease that ran out but was not taken by anyone
        is still ours, and the row lock (PostgreSQL) or write lock (SQLite) keeps it so.
        """
        if not ids:
            return []
        query = select(SourceRow).where(SourceRow.id.in_(ids), SourceRow.lease_owner == owner)
        return list(self.session.scalars(query.order_by(SourceRow.id).with_for_update()))

    def standings(self, owner: str, ids: Sequence[str]) -> dict[str, Standing]:
        """Lock the sources among `ids` leased by `owner` and return their standing (as `held`
        does, but as plain values: no rows to load, track and flush)."""
        if not ids:
            return {}
        query = (
            select(
                SourceRow.id,
                SourceRow.url,
                SourceRow.etag,
                SourceRow.last_modified,
                SourceRow.interval_seconds,
                SourceRow.current_interval,
                SourceRow.consecutive_failures,
                SourceRow.failing,
                SourceRow.last_success_at.is_(None),
            )
            .where(SourceRow.id.in_(ids), SourceRow.lease_owner == owner)
            .order_by(SourceRow.id)
            .with_for_update()
        )
        return {r[0]: Standing(*r) for r in self.session.execute(query)}

    def record_unchanged(self, owner: str, polls: Sequence[UnchangedPoll], now: datetime) -> None:
        """Record polls that found nothing new, all in one statement (an executemany): each
        source healthy, polled and succeeded `now`, its lease (held by `owner`) released."""
        if not polls:
            return
        table = cast("Table", SourceRow.__table__)  # Core: no ORM objects, one executemany
        statement = (
            update(table)
            .where(table.c.id == bindparam("b_id"), table.c.lease_owner == owner)
            .values(
                etag=bindparam("b_etag"),
                last_modified=bindparam("b_last_modified"),
                current_interval=bindparam("b_current_interval"),
                next_poll_at=bindparam("b_next_poll_at"),
                last_status="unchanged",
                last_success_at=now,
                consecutive_failures=0,
                failing=False,
                lease_owner=None,
                lease_until=None,
                last_polled_at=now,
                polls=table.c.polls + 1,
                updated_at=now,
            )
        )
        self.session.execute(
            statement,
            [
                {
                    "b_id": p.id,
                    "b_etag": p.etag,
                    "b_last_modified": p.last_modified,
                    "b_current_interval": p.current_interval,
                    "b_next_poll_at": p.next_poll_at,
                }
                for p in polls
            ],
        )

    def release(self, owner: str, ids: Sequence[str]) -> None:
        """Give back leases without recording a poll (e.g. the poll could not start)."""
        self.session.execute(
            update(SourceRow)
            .where(SourceRow.id.in_(ids), SourceRow.lease_owner == owner)
            .values(lease_owner=None, lease_until=None)
        )


class HostBudgetRepository:
    """Hosts' politeness buckets in the database (when there is no Redis): rows locked for the
    rest of the dispatcher's transaction, so concurrent dispatchers spend one budget."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def load(self, hosts: Sequence[str]) -> dict[str, Bucket]:
        """Lock and return the buckets of `hosts`; a host seen for the first time gets a row
        that last refilled at the epoch (so a full bucket)."""
        if not hosts:
            return {}
        dialect = self.session.get_bind().dialect.name
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        self.session.execute(
            insert(HostBudgetRow)
            .values([{"host": h, "tokens": 0.0, "refilled_at": 0.0} for h in sorted(hosts)])
            .on_conflict_do_nothing(index_elements=["host"])
        )
        query = (
            select(HostBudgetRow)
            .where(HostBudgetRow.host.in_(sorted(hosts)))
            .order_by(HostBudgetRow.host)
            .with_for_update()
        )
        return {r.host: Bucket(r.tokens, r.refilled_at) for r in self.session.scalars(query)}

    def save(self, buckets: dict[str, Bucket]) -> None:
        """Store the buckets loaded (and locked) by `load`."""
        for host, bucket in sorted(buckets.items()):
            self.session.execute(
                update(HostBudgetRow)
                .where(HostBudgetRow.host == host)
                .values(tokens=bucket.tokens, refilled_at=bucket.at)
            )
