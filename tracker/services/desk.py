"""The editors' desk: act on queued events (each action audited) and pause sources."""

from __future__ import annotations

from datetime import datetime

from tracker.domain.queue import Action, Item, QueueConflict, Status, decide
from tracker.services.accounts import Principal
from tracker.storage.database import UnitOfWork
from tracker.storage.models import EventRow, SourceRow


class NotFound(Exception):
    """No such event or source."""


def act(
    uow: UnitOfWork,
    event_id: str,
    action: Action,
    who: Principal,
    now: datetime,
    *,
    note: str | None = None,
    until: datetime | None = None,
) -> EventRow:
    """Take `action` on an event, atomically; raise QueueConflict when someone else won."""
    row = uow.events.get(event_id)
    if row is None:
        raise NotFound(f"no event {event_id!r}")
    item = Item(Status(row.status), row.assignee, row.snoozed_until)
    change = decide(item, action, who.display, now, note=note, until=until)
    if not uow.desk.apply(event_id, change, now):
        raise QueueConflict("someone else acted on this event first")
    uow.desk.audit(
        who.name,
        action.value,
        f"events/{event_id}",
        now,
        status=change.status.value,
        note=note,
        until=until.isoformat() if until else None,
    )
    return row


def pause_source(uow: UnitOfWork, source_id: str, who: Principal, now: datetime) -> SourceRow:
    """Stop polling a source until it is resumed (the config file's `enabled` is separate)."""
    row = _source(uow, source_id)
    if row.paused_at is None:
        row.paused_at, row.paused_by, row.updated_at = now, who.display, now
        uow.desk.audit(who.name, "pause", f"sources/{source_id}", now)
    return row


def resume_source(uow: UnitOfWork, source_id: str, who: Principal, now: datetime) -> SourceRow:
    """Poll a paused source again, from now."""
    row = _source(uow, source_id)
    if row.paused_at is not None:
        row.paused_at, row.paused_by, row.updated_at = None, None, now
        row.next_poll_at = min(row.next_poll_at, now)
        uow.desk.audit(who.name, "resume", f"sources/{source_id}", now)
    return row


def _source(uow: UnitOfWork, source_id: str) -> SourceRow:
    row = uow.sources.get(source_id)
    if row is None:
        raise NotFound(f"no source {source_id!r}")
    return row
