"""The deliveries repository: one row per (event, target), leased for sending, with attempts.

Deliveries to a webhook go out in event order per subject: one is not due while an earlier
delivery of the same subject to the same endpoint is still pending.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, func, not_, or_, select, update
from sqlalchemy.orm import Session, aliased

from tracker.storage.models import DeliveryAttemptRow, DeliveryRow, EventRow

PENDING, SENT, DEAD, SUPPRESSED = "pending", "sent", "dead", "suppressed"
# An event whose claim needs review has its deliveries held (never due) until an editor
# confirms it (then pending) or rejects it (then cancelled: kept, with the reason).
HELD, CANCELLED = "held", "cancelled"


def _free(now: datetime) -> ColumnElement[bool]:
    return or_(DeliveryRow.lease_until.is_(None), DeliveryRow.lease_until < now)


def _in_order() -> ColumnElement[bool]:
    """No earlier delivery of the same subject to the same webhook is still pending."""
    earlier = aliased(DeliveryRow)
    blocked = exists().where(
        earlier.target == DeliveryRow.target,
        earlier.subject == DeliveryRow.subject,
        earlier.event_seq < DeliveryRow.event_seq,
        earlier.status == PENDING,
    )
    return or_(not_(DeliveryRow.target.like("webhook:%")), not_(blocked))


def _pending_digest(target: str, digest_key: str | None) -> ColumnElement[bool]:
    """The pending deliveries of one digest: same target, same window."""
    return and_(
        DeliveryRow.target == target,
        DeliveryRow.digest_key == digest_key,
        DeliveryRow.status == PENDING,
    )


class DeliveryRepository:
    """Delivery rows and their attempts."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: DeliveryRow) -> DeliveryRow:
        """Add a delivery (in the caller's transaction)."""
        self.session.add(row)
        return row

    def last_created(self, route_id: str, target: str, subject: str) -> datetime | None:
        """Return when this route last sent (or queued) something on this subject to this target."""
        query = select(func.max(DeliveryRow.created_at)).where(
            DeliveryRow.route_id == route_id,
            DeliveryRow.target == target,
            DeliveryRow.subject == subject,
            DeliveryRow.status.not_in([SUPPRESSED, CANCELLED]),  # a rejected claim's did not go
        )
        return self.session.scalar(query)

    def _due(self, now: datetime) -> ColumnElement[bool]:
        return and_(
            DeliveryRow.status == PENDING,
            DeliveryRow.next_attempt_at <= now,
            _free(now),
            _in_order(),
        )

    def lease_due(self, now: datetime, owner: str, until: datetime, limit: int) -> list[int]:
        """Lease up to `limit` due, unleased deliveries, oldest first; return their ids."""
        query = (
            select(DeliveryRow.id)
            .where(self._due(now))
            .order_by(DeliveryRow.next_attempt_at, DeliveryRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=DeliveryRow)
        )
        ids = list(self.session.scalars(query))
        if not ids:
            return []
        self.session.execute(
            update(DeliveryRow)
            .where(DeliveryRow.id.in_(ids), _free(now))
            .values(lease_owner=owner, lease_until=until)
            .execution_options(synchronize_session=False)
        )
        held = select(DeliveryRow.id).where(
            DeliveryRow.id.in_(ids), DeliveryRow.lease_owner == owner
        )
        return sorted(self.session.scalars(held))

    def claim(
        self, delivery_id: int, queued_by: str | None, owner: str, until: datetime, now: datetime
    ) -> bool:
        """Take the sending lease on a pending, due, in-order delivery that is free (or ours)."""
        free = _free(now)
        if queued_by is not None:
            free = or_(free, DeliveryRow.lease_owner == queued_by)
        result = self.session.execute(
            update(DeliveryRow)
            .where(
                DeliveryRow.id == delivery_id,
                DeliveryRow.status == PENDING,
                DeliveryRow.next_attempt_at <= now,
                free,
                _in_order(),
            )
            .values(lease_owner=owner, lease_until=until)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    def release(self, delivery_id: int, owner: str) -> None:
        """Give back a lease `owner` holds on a pending delivery."""
        self.session.execute(
            update(DeliveryRow)
            .where(
                DeliveryRow.id == delivery_id,
                DeliveryRow.lease_owner == owner,
                DeliveryRow.status == PENDING,
            )
            .values(lease_owner=None, lease_until=None)
            .execution_options(synchronize_session=False)
        )

    def lock_digest(self, delivery_id: int) -> None:
        """If the delivery belongs to a digest, lock the digest's first pending row: deliverers
        of one digest then claim it one after the other, and the first takes the whole
        window (two at once would split it into two messages)."""
        found = self.session.execute(
            select(DeliveryRow.target, DeliveryRow.digest_key).where(DeliveryRow.id == delivery_id)
        ).first()
        if found is None or not found.digest_key:
            return
        self.session.execute(
            select(DeliveryRow.id)
            .where(_pending_digest(found.target, found.digest_key))
            .order_by(DeliveryRow.id)
            .limit(1)
            .with_for_update()
        )

    def claim_digest(
        self, held: DeliveryRow, queued_by: str | None, owner: str, until: datetime, now: datetime
    ) -> list[int]:
        """Take the other due deliveries of the same digest (same target and window)."""
        free = (
            _free(now)
            if queued_by is None
            else or_(_free(now), DeliveryRow.lease_owner == queued_by)
        )
        # Lock the candidates first, in id order, skipping rows another deliverer is taking:
        # two deliverers of one digest updating its rows in scan order could deadlock.
        candidates = list(
            self.session.scalars(
                select(DeliveryRow.id)
                .where(
                    _pending_digest(held.target, held.digest_key),
                    DeliveryRow.next_attempt_at <= now,
                    free,
                )
                .order_by(DeliveryRow.id)
                .with_for_update(skip_locked=True)
            )
        )
        if candidates:
            self.session.execute(
                update(DeliveryRow)
                .where(DeliveryRow.id.in_(candidates), free)
                .values(lease_owner=owner, lease_until=until)
                .execution_options(synchronize_session=False)
            )
        query = select(DeliveryRow.id).where(
            DeliveryRow.digest_key == held.digest_key, DeliveryRow.lease_owner == owner
        )
        return sorted(self.session.scalars(query))

    def held(self, delivery_id: int, owner: str) -> tuple[DeliveryRow, EventRow] | None:
        """Return a delivery and its event if `owner` holds its lease."""
        found = self.held_many([delivery_id], owner)
        return found[0] if found else None

    def held_many(self, ids: Sequence[int], owner: str) -> list[tuple[DeliveryRow, EventRow]]:
        """Return the deliveries among `ids` that `owner` holds, with their events, in order."""
        query = (
            select(DeliveryRow, EventRow)
            .join(EventRow, EventRow.id == DeliveryRow.event_id)
            .where(DeliveryRow.id.in_(ids), DeliveryRow.lease_owner == owner)
            .order_by(EventRow.seq)
        )
        return [(r[0], r[1]) for r in self.session.execute(query)]

    def record_attempt(
        self,
        row: DeliveryRow,
        *,
        started: datetime,
        duration_ms: int,
        error: str | None,
        status_code: int | None = None,
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
                status_code=status_code,
            )
        )

    def attempts(self, delivery_id: int) -> list[DeliveryAttemptRow]:
        """Return the attempts of a delivery, first first."""
        query = select(DeliveryAttemptRow).where(DeliveryAttemptRow.delivery_id == delivery_id)
        return list(self.session.scalars(query.order_by(DeliveryAttemptRow.number)))

    def list(
        self,
        *,
        statuses: Sequence[str] = (),
        target: str | None = None,
        limit: int = 100,
        failed: bool = False,
    ) -> list[tuple[DeliveryRow, EventRow]]:
        """Return deliveries with their events, newest first, optionally by status or target;
        `failed`: those given up on or retrying after an error."""
        query = select(DeliveryRow, EventRow).join(EventRow, EventRow.id == DeliveryRow.event_id)
        if statuses:
            query = query.where(DeliveryRow.status.in_(statuses))
        if failed:
            retrying = and_(DeliveryRow.status == PENDING, DeliveryRow.last_error.is_not(None))
            query = query.where(or_(DeliveryRow.status == DEAD, retrying))
        if target:
            query = query.where(DeliveryRow.target == target)
        rows = self.session.execute(query.order_by(DeliveryRow.id.desc()).limit(limit))
        return [(r[0], r[1]) for r in rows]

    def release_held(self, event_id: str, now: datetime) -> int:
        """Make an event's held deliveries due (not before their planned time); return how many."""
        held = [d for d in self.for_event(event_id) if d.status == HELD]
        for row in held:
            row.status, row.updated_at = PENDING, now
            row.next_attempt_at = max(row.next_attempt_at or now, now)
        return len(held)

    def cancel_held(self, event_id: str, reason: str, now: datetime) -> int:
        """Cancel an event's held deliveries, keeping them with the reason; return how many."""
        held = [d for d in self.for_event(event_id) if d.status == HELD]
        for row in held:
            row.status, row.last_error, row.updated_at = CANCELLED, reason, now
            row.next_attempt_at = None
        return len(held)

    def for_event(self, event_id: str) -> Sequence[DeliveryRow]:
        """Return an event's deliveries, one per target."""
        query = select(DeliveryRow).where(DeliveryRow.event_id == event_id)
        return list(self.session.scalars(query.order_by(DeliveryRow.target)))

    def for_target(self, target: str, event_ids: Sequence[str]) -> dict[str, DeliveryRow]:
        """Return the deliveries of these events to one target, by event id."""
        query = select(DeliveryRow).where(
            DeliveryRow.target == target, DeliveryRow.event_id.in_(event_ids)
        )
        return {row.event_id: row for row in self.session.scalars(query)}

    def abandon_target(self, target: str, reason: str, now: datetime) -> int:
        """Give up every pending delivery to a target (its endpoint was disabled)."""
        result = self.session.execute(
            update(DeliveryRow)
            .where(DeliveryRow.target == target, DeliveryRow.status == PENDING)
            .values(
                status=DEAD,
                last_error=reason,
                next_attempt_at=None,
                lease_owner=None,
                lease_until=None,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)
