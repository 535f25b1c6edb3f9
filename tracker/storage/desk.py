"""The editors' desk in the database: the queue over the events table, and the audit log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Text, and_, case, cast, func, or_, select, update
from sqlalchemy.orm import Session

from tracker.domain.queue import ON_QUEUE, SEVERITY_RANK, Change, Status
from tracker.storage.models import AuditRow, EventRow


def _rank() -> ColumnElement[int]:
    return case(SEVERITY_RANK, value=EventRow.severity, else_=len(SEVERITY_RANK))


@dataclass(frozen=True)
class QueueFilter:
    """What the queue is narrowed to; empty fields match everything."""

    statuses: Sequence[str] = ()  # () = the open queue: open, claimed, acknowledged, snooze over
    topic: str | None = None
    actor: str | None = None
    issue: str | None = None
    types: Sequence[str] = ()
    source_id: str | None = None
    severity: str | None = None


def _effective_status(now: datetime) -> ColumnElement[str]:
    expired = and_(EventRow.status == Status.SNOOZED.value, EventRow.snoozed_until <= now)
    return case((expired, Status.OPEN.value), else_=EventRow.status)


class DeskRepository:
    """The queue (events with their status) and the audit log."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _where(self, wanted: QueueFilter, now: datetime) -> list[ColumnElement[bool]]:
        status = _effective_status(now)
        statuses = list(wanted.statuses) or [s.value for s in ON_QUEUE]
        clauses: list[ColumnElement[bool]] = [status.in_(statuses)]
        if wanted.types:
            clauses.append(
                or_(
                    *[
                        EventRow.type.like(t[:-1] + "%") if t.endswith("*") else EventRow.type == t
                        for t in wanted.types
                    ]
                )
            )
        if wanted.source_id:
            clauses.append(EventRow.source_id == wanted.source_id)
        if wanted.severity:
            clauses.append(EventRow.severity == wanted.severity)
        # topics are a JSON list (matched on its text form, on both databases); actor and
        # issue are parts of a position's subject: positions/TOPIC/ACTOR/ISSUE
        if wanted.topic:
            topic = f'%"{_escape(wanted.topic)}"%'
            clauses.append(cast(EventRow.topics, Text).like(topic, escape="\\"))
        if wanted.actor:
            actor = f"positions/%/{_escape(wanted.actor)}/%"
            clauses.append(EventRow.subject.like(actor, escape="\\"))
        if wanted.issue:
            issue = f"positions/%/%/{_escape(wanted.issue)}"
            clauses.append(EventRow.subject.like(issue, escape="\\"))
        return clauses

    def queue(
        self, wanted: QueueFilter, now: datetime, *, limit: int, after: tuple[int, int] | None
    ) -> list[EventRow]:
        """Return a page of the queue: most severe first, newest first within a tier.

        `after` is the (rank, seq) of the last row of the previous page (a keyset cursor)."""
        query = select(EventRow).where(*self._where(wanted, now))
        if after is not None:
            rank, seq = after
            tier = _rank()
            query = query.where(or_(tier > rank, and_(tier == rank, EventRow.seq < seq)))
        query = query.order_by(_rank(), EventRow.seq.desc()).limit(limit)
        return list(self.session.scalars(query))

    def count(self, wanted: QueueFilter, now: datetime) -> int:
        """Return how many events match."""
        query = select(func.count()).select_from(EventRow).where(*self._where(wanted, now))
        return int(self.session.scalar(query) or 0)

    @staticmethod
    def rank(row: EventRow) -> int:
        """Return an event's severity rank (for the cursor)."""
        return SEVERITY_RANK.get(row.severity, len(SEVERITY_RANK))

    def newer_than(self, seq: int, limit: int = 100) -> list[EventRow]:
        """Return events added after `seq`, oldest first (for the live stream)."""
        query = select(EventRow).where(EventRow.seq > seq).order_by(EventRow.seq).limit(limit)
        return list(self.session.scalars(query))

    def last_seq(self) -> int:
        """Return the newest event's sequence number (0 when there is none)."""
        return int(self.session.scalar(select(func.max(EventRow.seq))) or 0)

    def apply(self, event_id: str, change: Change, now: datetime) -> bool:
        """Write a queue change if the event is still as it was read: one of the expected
        statuses, the expected assignee (so two editors claiming at once cannot both win, and
        a stale decision cannot take over an event that changed hands); return whether it
        was written."""
        expected = [s.value for s in change.expect]
        held_by = (
            EventRow.assignee.is_(None)
            if change.expect_assignee is None
            else EventRow.assignee == change.expect_assignee
        )
        query = (
            update(EventRow)
            .where(EventRow.id == event_id, EventRow.status.in_(expected), held_by)
            .values(
                status=change.status.value,
                assignee=change.assignee,
                snoozed_until=change.snoozed_until,
                status_changed_at=now,
            )
        )
        if change.note is not None:
            query = query.values(note=change.note)
        result = self.session.execute(query.execution_options(synchronize_session=False))
        written = bool(getattr(result, "rowcount", 0))
        if written:
            row = self.session.scalars(select(EventRow).where(EventRow.id == event_id)).first()
            if row is not None:
                self.session.refresh(row)
        return written

    def audit(self, actor: str, action: str, target: str, now: datetime, **detail: Any) -> AuditRow:
        """Record who did what to what."""
        row = AuditRow(at=now, actor=actor, action=action, target=target, detail=detail)
        self.session.add(row)
        return row

    def audit_log(
        self, *, target: str | None = None, limit: int = 100, before: int | None = None
    ) -> list[AuditRow]:
        """Return audit entries, newest first."""
        query = select(AuditRow)
        if target:
            query = query.where(AuditRow.target == target)
        if before is not None:
            query = query.where(AuditRow.id < before)
        return list(self.session.scalars(query.order_by(AuditRow.id.desc()).limit(limit)))

    def counts_by_status(self, now: datetime) -> dict[str, int]:
        """Return the number of events per effective status."""
        status = _effective_status(now)
        query = select(status, func.count()).select_from(EventRow).group_by(status)
        return {str(s): int(n) for s, n in self.session.execute(query)}


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
