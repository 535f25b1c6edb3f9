"""The editors' queue: what each action does to an event's status, and who may do it.

An event is `open` until someone acts on it. `claim` takes it (one editor at a time);
`acknowledge` says the holder has seen it and is on it; `resolve` closes it with a note;
`snooze` hides it until a time, after which it is open again; `reopen` puts it back.
An event whose claim waits for review (`needs_review`) is confirmed or rejected (see
`tracker.domain.review`) before any of these apply; a rejected one is done.
Nothing leaves the queue without an action, and every action is audited by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum


class Status(StrEnum):
    """Where an event stands in the queue."""

    OPEN = "open"
    CLAIMED = "claimed"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    SNOOZED = "snoozed"
    NEEDS_REVIEW = "needs_review"  # its claim waits for an editor; its alerts are held
    REJECTED = "rejected"  # an editor rejected its claim; its alerts were cancelled


class Action(StrEnum):
    """What an editor does to an event."""

    CLAIM = "claim"
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"
    SNOOZE = "snooze"
    REOPEN = "reopen"


# Most severe first; within a tier, newest first.
SEVERITY_RANK = {"flash": 0, "urgent": 1, "routine": 2}
ON_QUEUE = (Status.NEEDS_REVIEW, Status.OPEN, Status.CLAIMED, Status.ACKNOWLEDGED)


class QueueConflict(Exception):
    """The action cannot be taken: someone else holds the event, or it is in the wrong state."""


class InvalidAction(Exception):
    """The action's arguments are wrong (a snooze into the past, a note too long)."""


@dataclass(frozen=True)
class Item:
    """An event's queue state."""

    status: Status
    assignee: str | None
    snoozed_until: datetime | None = None

    def effective(self, now: datetime) -> Status:
        """The status as the queue shows it: a snooze that has run out is open again."""
        if self.status is Status.SNOOZED and self.snoozed_until and self.snoozed_until <= now:
            return Status.OPEN
        return self.status


@dataclass(frozen=True)
class Change:
    """What an action sets."""

    status: Status
    assignee: str | None
    snoozed_until: datetime | None = None
    note: str | None = None
    # The state the event must still be in when the change is written (checked atomically):
    # one of these statuses, and the assignee it was read with, so an action decided on a
    # stale read fails even when the event has come back to the same status in other hands.
    expect: tuple[Status, ...] = ()
    expect_assignee: str | None = None


MAX_NOTE = 2000


_HELD = (Status.CLAIMED, Status.ACKNOWLEDGED)
# Statuses only a review (confirm / reject) moves an event out of, or none does.
_REVIEWED = {
    Status.NEEDS_REVIEW: "it needs review: confirm or reject it first",
    Status.REJECTED: "its claim was rejected",
}


def decide(
    item: Item,
    action: Action,
    who: str,
    now: datetime,
    *,
    note: str | None = None,
    until: datetime | None = None,
) -> Change:
    """Return what `action` by `who` does to an event, or raise QueueConflict / InvalidAction.

    The change expects the event still to be as it was read (status and assignee), so of two
    editors acting at once exactly one wins."""
    change = _change(item, action, who, now, note=note, until=until)
    return replace(change, expect=(item.status,), expect_assignee=item.assignee)


def _actionable(item: Item, now: datetime, note: str | None) -> Status:
    """Return the status an action starts from, or raise when no queue action may apply."""
    if note is not None and len(note) > MAX_NOTE:
        raise InvalidAction(f"the note is longer than {MAX_NOTE} characters")
    status = item.effective(now)
    if status in _REVIEWED:
        raise QueueConflict(_REVIEWED[status])
    return status


def _change(
    item: Item,
    action: Action,
    who: str,
    now: datetime,
    *,
    note: str | None,
    until: datetime | None,
) -> Change:
    status = _actionable(item, now, note)
    if action is Action.REOPEN:
        if status is Status.OPEN:
            raise QueueConflict("already open")
        return Change(Status.OPEN, None, note=note)
    if status is Status.RESOLVED:
        raise QueueConflict(
            "already resolved" if action is Action.RESOLVE else "resolved: reopen it first"
        )
    if status in _HELD and item.assignee != who:
        raise QueueConflict(f"already claimed by {item.assignee}")
    if action is Action.CLAIM:  # claiming what is already yours changes nothing
        return Change(status if status in _HELD else Status.CLAIMED, who)
    if action is Action.ACKNOWLEDGE:
        return Change(Status.ACKNOWLEDGED, who)
    if action is Action.RESOLVE:
        return Change(Status.RESOLVED, who, note=note)
    if until is None or until <= now:
        raise InvalidAction("snooze needs a time in the future")
    return Change(Status.SNOOZED, None, snoozed_until=until, note=note)
