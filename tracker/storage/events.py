"""The events repository: the outbox of change events, read back in order."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from tracker.domain.events import Event
from tracker.domain.queue import Status
from tracker.storage.models import EventRow


def _filtered(
    query: Select[Any],
    types: Sequence[str],
    statuses: Sequence[str],
    source_id: str | None,
    after_seq: int | None,
    before_seq: int | None,
) -> Select[Any]:
    if types:
        query = query.where(EventRow.type.in_(types))
    if statuses:
        query = query.where(EventRow.status.in_(statuses))
    if source_id:
        query = query.where(EventRow.source_id == source_id)
    if after_seq is not None:
        query = query.where(EventRow.seq > after_seq)
    if before_seq is not None:
        query = query.where(EventRow.seq < before_seq)
    return query


class EventRepository:
    """Event rows, ordered by their insertion sequence."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, event: Event, now: datetime) -> EventRow:
        """Add an event to the outbox (in the caller's transaction)."""
        row = EventRow(
            id=event.id,
            type=event.type,
            source=event.source,
            subject=event.subject,
            time=event.time,
            severity=event.severity.value,
            topics=list(event.topics),
            source_id=event.source_id,
            statement_id=event.statement_id,
            data=event.data,
            created_at=now,
            status=Status.NEEDS_REVIEW.value if event.held else Status.OPEN.value,
        )
        self.session.add(row)
        return row

    def get(self, event_id: str) -> EventRow | None:
        """Return one event by its CloudEvents id."""
        return self.session.scalars(select(EventRow).where(EventRow.id == event_id)).first()

    def list(
        self,
        *,
        limit: int = 100,
        types: Sequence[str] = (),
        statuses: Sequence[str] = (),
        source_id: str | None = None,
        after_seq: int | None = None,
        before_seq: int | None = None,
        newest_first: bool = False,
    ) -> list[EventRow]:
        """Return events, oldest first unless asked otherwise, optionally filtered."""
        query = _filtered(select(EventRow), types, statuses, source_id, after_seq, before_seq)
        order = EventRow.seq.desc() if newest_first else EventRow.seq
        return list(self.session.scalars(query.order_by(order).limit(limit)))

    def count(
        self,
        *,
        types: Sequence[str] = (),
        statuses: Sequence[str] = (),
        source_id: str | None = None,
        after_seq: int | None = None,
        before_seq: int | None = None,
    ) -> int:
        """Return how many events `list` would find with no limit."""
        query = _filtered(
            select(func.count()).select_from(EventRow),
            types,
            statuses,
            source_id,
            after_seq,
            before_seq,
        )
        return int(self.session.scalar(query) or 0)
