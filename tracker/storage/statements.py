"""The statements repository: statements keyed per source, with append-only versions."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TypeVar

from sqlalchemy import and_, or_, select, text
from sqlalchemy.orm import Session

from tracker.domain.similarity import MAX_DISTANCE, bands, distance, to_signed, to_unsigned
from tracker.domain.statements import Observation, StoredStatement
from tracker.storage.models import StatementBandRow, StatementRow, VersionRow

_CHUNK = 500  # keeps IN (...) lists well under every driver's parameter limit
# The PostgreSQL advisory lock that serialises looking up and indexing story clusters.
CLUSTERS_LOCK_KEY = zlib.crc32(b"story-clusters") - 2**31


_T = TypeVar("_T")


def _chunks(values: Sequence[_T]) -> Iterable[Sequence[_T]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


class StatementRepository:
    """Statement and version rows."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def stored(self, source_id: str, digests: Sequence[str]) -> dict[str, StatementRow]:
        """Return the stored statements of `source_id` with these key digests, by digest."""
        return self.stored_by_source({source_id: digests})[source_id]

    def stored_by_source(
        self, wanted: Mapping[str, Sequence[str]]
    ) -> dict[str, dict[str, StatementRow]]:
        """Return `stored` for many sources at once (a batch's sources: one query, not one
        per source), by source id then digest; every source asked for has an entry."""
        pairs = [(source_id, d) for source_id, digests in wanted.items() for d in digests]
        found: dict[str, dict[str, StatementRow]] = {source_id: {} for source_id in wanted}
        for chunk in _chunks(pairs):
            query = select(StatementRow).where(
                StatementRow.source_id.in_({s for s, _ in chunk}),
                StatementRow.key_digest.in_({d for _, d in chunk}),
            )
            asked = set(chunk)
            for row in self.session.scalars(query):
                if (row.source_id, row.key_digest) in asked:
                    found[row.source_id][row.key_digest] = row
        return found

    @staticmethod
    def as_stored(row: StatementRow) -> StoredStatement:
        """Return what change decisions need of a row."""
        return StoredStatement(row.id, row.fingerprint, row.announced, row.version_count)

    def fingerprints(self, statement_id: int) -> frozenset[str]:
        """Return every fingerprint this statement has had."""
        query = select(VersionRow.fingerprint).where(VersionRow.statement_id == statement_id)
        return frozenset(self.session.scalars(query))

    def recent_fingerprints(self, statement_id: int, count: int) -> frozenset[str]:
        """Return the fingerprints of this statement's last `count` versions."""
        query = (
            select(VersionRow.fingerprint)
            .where(VersionRow.statement_id == statement_id)
            .order_by(VersionRow.seq.desc())
            .limit(count)
        )
        return frozenset(self.session.scalars(query))

    def version(self, statement_id: int, fingerprint: str) -> VersionRow | None:
        """Return the version of a statement with this fingerprint."""
        query = select(VersionRow).where(
            VersionRow.statement_id == statement_id, VersionRow.fingerprint == fingerprint
        )
        return self.session.scalars(query).first()

    def versions(self, statement_id: int) -> list[VersionRow]:
        """Return a statement's versions, oldest first."""
        query = select(VersionRow).where(VersionRow.statement_id == statement_id)
        return list(self.session.scalars(query.order_by(VersionRow.seq)))

    def new(
        self, source_id: str, obs: Observation, *, topics: list[str], now: datetime
    ) -> StatementRow:
        """Add a statement (not flushed: call `flush` to get ids for many at once)."""
        row = StatementRow(
            source_id=source_id,
            key=obs.key,
            key_digest=obs.key_digest,
            url=obs.url,
            title=obs.title,
            fingerprint=obs.fingerprint,
            version_count=0,
            relevant=bool(topics),
            announced=False,
            topics=topics,
            published_at=obs.published,
            first_seen_at=now,
            changed_at=now,
        )
        self.session.add(row)
        return row

    def add_version(self, row: StatementRow, obs: Observation, now: datetime) -> VersionRow:
        """Append a version with a never-seen text and make it the statement's current text."""
        row.version_count += 1
        version = VersionRow(
            statement_id=row.id,
            seq=row.version_count,
            fingerprint=obs.fingerprint,
            title=obs.title,
            text=obs.text,
            published_at=obs.published,
            observed_at=now,
        )
        self.session.add(version)
        self._set_current(row, obs, now)
        return version

    def revert(self, row: StatementRow, obs: Observation, now: datetime) -> None:
        """Point a statement back at an earlier text; no version is added."""
        self._set_current(row, obs, now)

    @staticmethod
    def _set_current(row: StatementRow, obs: Observation, now: datetime) -> None:
        row.fingerprint = obs.fingerprint
        row.title = obs.title
        row.url = obs.url or row.url
        row.published_at = obs.published or row.published_at
        row.changed_at = now

    def lock_clusters(self) -> None:
        """Serialise story lookups and indexing across workers until the transaction ends.

        Two workers recording copies of one story at once would each miss the other's
        uncommitted index and both alert. Taken only by a batch with a new relevant
        statement, before any topic lock (claims come last), so locks are always taken in one
        order. Re-entrant: PostgreSQL stacks an advisory lock taken again, and a savepoint
        rolled back may have released it. SQLite's write lock already serialises writers.
        """
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": CLUSTERS_LOCK_KEY}
            )

    def near_copy(self, value: int, source_id: str, since: datetime) -> StatementRow | None:
        """Return the earliest story (a cluster's first statement) another source carried since
        `since` whose SimHash is within `MAX_DISTANCE` bits of `value`: this is a copy of it.

        Only stories are indexed (copies join them), and only ids and hashes are read, so a
        story carried by a thousand sources costs one candidate, not a thousand rows."""
        wanted = [
            and_(StatementBandRow.band == i, StatementBandRow.value == v)
            for i, v in enumerate(bands(value))
        ]
        candidates = (
            select(StatementRow.id, StatementRow.simhash)
            .join(StatementBandRow, StatementBandRow.statement_id == StatementRow.id)
            .where(
                or_(*wanted),
                StatementBandRow.seen_at >= since,
                StatementRow.source_id != source_id,
                StatementRow.simhash.is_not(None),
            )
            .distinct()
        )
        close = [
            story_id
            for story_id, simhash in self.session.execute(candidates)
            if simhash is not None and distance(to_unsigned(simhash), value) <= MAX_DISTANCE
        ]
        return self.session.get(StatementRow, min(close)) if close else None

    def index_text(self, row: StatementRow, value: int, now: datetime, *, story: bool) -> None:
        """Remember a statement's SimHash and, for a story (not a copy of one), its bands, for
        later copies to find."""
        row.simhash = to_signed(value)
        if not story:
            return
        self.session.add_all(
            StatementBandRow(statement_id=row.id, band=i, value=v, seen_at=now)
            for i, v in enumerate(bands(value))
        )

    def cluster(self, cluster_id: int) -> list[StatementRow]:
        """Return the statements of one story cluster, first seen first."""
        query = select(StatementRow).where(StatementRow.cluster_id == cluster_id)
        return list(self.session.scalars(query.order_by(StatementRow.id)))

    def story(self, statement_id: int) -> list[StatementRow]:
        """Return every statement carrying the same story as this one (its cluster, or itself
        alone), first seen first."""
        row = self.session.get(StatementRow, statement_id)
        if row is None:
            return []
        return [row] if row.cluster_id is None else self.cluster(row.cluster_id)

    def flush(self) -> None:
        """Send pending inserts, so new rows get their ids (batched by the ORM)."""
        self.session.flush()
