"""The state repository: claims (provenance), current positions and facts, per topic."""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, or_, select, text
from sqlalchemy.orm import Session

from tracker.domain.claims import FactValue
from tracker.domain.review import Review
from tracker.storage.models import ClaimRow, FactRow, PositionRow


def topic_lock_key(topic: str) -> int:
    """Return the PostgreSQL advisory lock key that serialises a topic's state updates."""
    return zlib.crc32(f"topic:{topic}".encode()) - 2**31


class StateRepository:
    """Positions, facts and the claims behind them; rows created in this unit are remembered,
    so two statements of one batch that make the same first claim create one row."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._positions: dict[tuple[str, str, str], PositionRow] = {}
        self._facts: dict[tuple[str, str], FactRow] = {}
        self._locked: set[str] = set()
        self._loaded: set[str] = set()

    def forget(self) -> None:
        """Forget the rows remembered so far (their savepoint was rolled back)."""
        self._positions.clear()
        self._facts.clear()
        self._loaded.clear()

    def lock_topics(self, topics: Iterable[str]) -> None:
        """Serialise state updates of these topics across workers until this transaction ends.

        Locks are taken in sorted order, so two workers never wait on each other in a circle."""
        if self.session.get_bind().dialect.name != "postgresql":
            return  # SQLite: the write lock taken at BEGIN IMMEDIATE already serialises writers
        for topic in sorted(set(topics) - self._locked):
            self.session.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": topic_lock_key(topic)}
            )
            self._locked.add(topic)

    def _load(self, topic: str) -> None:
        """Read a topic's whole state at once (a few hundred rows at most)."""
        if topic in self._loaded:
            return
        self._loaded.add(topic)
        for position in self.session.scalars(select(PositionRow).where(PositionRow.topic == topic)):
            self._positions.setdefault((topic, position.actor, position.issue), position)
        for fact in self.session.scalars(select(FactRow).where(FactRow.topic == topic)):
            self._facts.setdefault((topic, fact.key), fact)

    def position(self, topic: str, actor: str, issue: str) -> PositionRow | None:
        """Return the current position of an actor on an issue."""
        self._load(topic)
        return self._positions.get((topic, actor, issue))

    def set_position(self, row: PositionRow) -> None:
        """Add a new position row."""
        self.session.add(row)
        self._positions[(row.topic, row.actor, row.issue)] = row

    def fact(self, topic: str, key: str) -> FactRow | None:
        """Return the current value of a fact."""
        self._load(topic)
        return self._facts.get((topic, key))

    def set_fact(self, row: FactRow) -> None:
        """Add a new fact row."""
        self.session.add(row)
        self._facts[(row.topic, row.key)] = row

    def add_claim(self, row: ClaimRow) -> ClaimRow:
        """Add a claim (written with the rest of the unit: state rows refer to it by object)."""
        self.session.add(row)
        return row

    def positions(self, topic: str | None = None) -> list[PositionRow]:
        """Return current positions, by topic, actor and issue."""
        query = select(PositionRow).order_by(
            PositionRow.topic, PositionRow.actor, PositionRow.issue
        )
        if topic:
            query = query.where(PositionRow.topic == topic)
        return list(self.session.scalars(query))

    def facts(self, topic: str | None = None) -> list[FactRow]:
        """Return current facts, by topic and key."""
        query = select(FactRow).order_by(FactRow.topic, FactRow.key)
        if topic:
            query = query.where(FactRow.topic == topic)
        return list(self.session.scalars(query))

    def claims(
        self,
        topic: str,
        *,
        actor: str | None = None,
        issue: str | None = None,
        key: str | None = None,
    ) -> list[ClaimRow]:
        """Return the claims behind a position or fact, in statement-time order."""
        query = select(ClaimRow).where(ClaimRow.topic == topic)
        if actor is not None:
            query = query.where(ClaimRow.actor == actor, ClaimRow.issue == issue)
        if key is not None:
            query = query.where(ClaimRow.key == key)
        return list(self.session.scalars(query.order_by(ClaimRow.stated_at, ClaimRow.id)))

    def own_latest(self, topic: str, actor: str, issue: str) -> ClaimRow | None:
        """Return the actor's latest claim in their own words on an issue that stands (not
        rejected, not awaiting review)."""
        self.session.flush()  # claims of this batch count too (the session does not autoflush)
        query = (
            select(ClaimRow)
            .where(
                ClaimRow.topic == topic,
                ClaimRow.actor == actor,
                ClaimRow.issue == issue,
                ClaimRow.own_words.is_(True),
                _standing(),
            )
            .order_by(ClaimRow.stated_at.desc(), ClaimRow.id.desc())
            .limit(1)
        )
        return self.session.scalars(query).first()

    def story_claim(
        self,
        topic: str,
        story_id: int,
        statement_id: int,
        *,
        subject: tuple[str, str] | str,
    ) -> ClaimRow | None:
        """Return a claim on this position ((actor, issue)) or fact (key) that another copy of
        the same story already made: a story counts once, however many outlets carry it."""
        self.session.flush()
        query = select(ClaimRow).where(
            ClaimRow.topic == topic,
            ClaimRow.story_id == story_id,
            ClaimRow.statement_id != statement_id,
        )
        if isinstance(subject, tuple):
            query = query.where(ClaimRow.actor == subject[0], ClaimRow.issue == subject[1])
        else:
            query = query.where(ClaimRow.key == subject)
        return self.session.scalars(query.order_by(ClaimRow.id).limit(1)).first()

    def claim_for_event(self, event_id: str) -> ClaimRow | None:
        """Return the claim that raised an event."""
        query = select(ClaimRow).where(ClaimRow.event_id == event_id).order_by(ClaimRow.id)
        return self.session.scalars(query.limit(1)).first()

    def reviewed(self, since: datetime | None = None) -> list[ClaimRow]:
        """Return the claims editors confirmed or rejected (since a time), in review order."""
        query = select(ClaimRow).where(
            ClaimRow.review.in_([Review.CONFIRMED.value, Review.REJECTED.value])
        )
        if since is not None:
            query = query.where(ClaimRow.reviewed_at >= since)
        return list(self.session.scalars(query.order_by(ClaimRow.reviewed_at, ClaimRow.id)))

    def version_claims(self, version_ids: Iterable[int]) -> list[ClaimRow]:
        """Return every claim read from these statement versions."""
        ids = sorted(set(version_ids))
        if not ids:
            return []
        query = select(ClaimRow).where(ClaimRow.version_id.in_(ids))
        return list(self.session.scalars(query.order_by(ClaimRow.id)))

    def sources_of(self, claim_ids: list[int]) -> list[str]:
        """Return the distinct sources of some claims."""
        if not claim_ids:
            return []
        query = select(ClaimRow.source_id).where(ClaimRow.id.in_(claim_ids)).distinct()
        return sorted(self.session.scalars(query))


def _standing() -> ColumnElement[bool]:
    """A claim nobody rejected and nobody is still asked to review."""
    return or_(ClaimRow.review.is_(None), ClaimRow.review == Review.CONFIRMED.value)


def wrap(value: FactValue) -> dict[str, Any]:
    """Return a fact value as stored (a JSON object, so ints, floats and text keep their type)."""
    return {"value": value}


def unwrap(stored: dict[str, Any]) -> FactValue:
    """Return a stored fact value."""
    value: FactValue = stored["value"]
    return value
