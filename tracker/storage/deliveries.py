"""The deliveries repository: one row per (event, target), leased for sending, with attempts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session

from tracker.storage.models import DeliveryAttemptRow, DeliveryRow, EventRow

PENDING, SENT, DEAD = "pending", "sent", "dead"


class DeliveryRepository:
    """Delivery rows and their attempts."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self,
        event_id: str,
        target: str,
        now: datetime,
        *,
        queued_by: str | None,
        queued_until: datetime | None,
    ) -> DeliveryRow:
        """Add a pending delivery, due now; `queued_by` marks it as already handed to a queue."""
        row = DeliveryRow(
            event_id=event_id,
            target=target,
            status=PENDING,
            attempts=0,
            next_attempt_at=now,
            lease_owner=queued_by,
            lease_until=queued_until,
            created_at=now,
            updated_at=now,
        )
        self.session.add(row)
        return row

    @staticmethod
    def _due(now: datetime) -> ColumnElement[bool]:
        return and_(
            DeliveryRow.status == PENDING,
            DeliveryRow.next_attempt_at <= now,
            or_(DeliveryRow.lease_until.is_(None), DeliveryRow.lease_until < now),
        )

    def lease_due(self, now: datetime, owner: str, until: datetime, limit: int) -> list[int]:
        """Lease up to `limit` due, unleased deliveries, oldest first; return their ids."""
        query = (
            select(DeliveryRow.id)
            .where(self._due(now))
            .order_by(DeliveryRow.next_attempt_at, DeliveryRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        ids = list(self.session.scalars(query))
        if ids:
            self.session.execute(
                update(DeliveryRow)
                .where(DeliveryRow.id.in_(ids), self._due(now))
                .values(lease_owner=owner, lease_until=until)
            )
        held = select(DeliveryRow.id).where(
            DeliveryRow.id.in_(ids), DeliveryRow.lease_owner == owner
        )
        return sorted(self.session.scalars(held)) if ids else []

    def claim(
        self, delivery_id: int, queued_by: str | None, owner: str, until: datetime, now: datetime
    ) -> bool:
        """Take the sending lease on a pending delivery that is due and free (or queued by us)."""
        free = or_(DeliveryRow.lease_until.is_(None), DeliveryRow.lease_until < now)
        if queued_by is not None:
            free = or_(free, DeliveryRow.lease_owner == queued_by)
        result = self.session.execute(
            update(DeliveryRow)
            .where(
                DeliveryRow.id == delivery_id,
                DeliveryRow.status == PENDING,
                DeliveryRow.next_attempt_at <= now,
                free,
            )
            .values(lease_owner=owner, lease_until=until)
        )
        return bool(getattr(result, "rowcount", 0))

    def held(self, delivery_id: int, owner: str) -> tuple[DeliveryRow, EventRow] | None:
        """Return a delivery and its event if `owner` holds its lease."""
        query = (
            select(DeliveryRow, EventRow)
            .join(EventRow, EventRow.id == DeliveryRow.event_id)
            .where(DeliveryRow.id == delivery_id, DeliveryRow.lease_owner == owner)
        )
        row = self.session.execute(query).first()
        return (row[0], row[1]) if row else None

    def record_attempt(
        self, row: DeliveryRow, *, started: datetime, duration_ms: int, error: str | None
    ) -> None:
        """Record one attempt on a delivery whose lease the caller holds."""
        row.attempts += 1
        self.session.add(
            DeliveryAttemptRow(
                delivery_id=row.id,
                number=row.attempts,
                started_at=started,
                duration_ms=duration_ms,
                outcome="sent" if error is None else "failed",
                error=error,
            )
        )

    def attempts(self, delivery_id: int) -> list[DeliveryAttemptRow]:
        """Return the attempts of a delivery, first first."""
        query = select(DeliveryAttemptRow).where(DeliveryAttemptRow.delivery_id == delivery_id)
        return list(self.session.scalars(query.order_by(DeliveryAttemptRow.number)))

    def list(
        self, *, statuses: Sequence[str] = (), limit: int = 100
    ) -> list[tuple[DeliveryRow, EventRow]]:
        """Return deliveries with their events, newest first, optionally by status."""
        query = select(DeliveryRow, EventRow).join(EventRow, EventRow.id == DeliveryRow.event_id)
        if statuses:
            query = query.where(DeliveryRow.status.in_(statuses))
        rows = self.session.execute(query.order_by(DeliveryRow.id.desc()).limit(limit))
        return [(r[0], r[1]) for r in rows]
