"""Change events: their types, severities and the CloudEvents 1.0 envelope they travel in."""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

SPEC_VERSION = "1.0"
DATA_SCHEMA = "urn:tracker:event-data:v1"


class Severity(StrEnum):
    """Wire-service tiers, most urgent first."""

    FLASH = "flash"
    URGENT = "urgent"
    ROUTINE = "routine"

    @property
    def rank(self) -> int:
        """Return 0 for flash, 1 for urgent, 2 for routine (sorts most severe first)."""
        return list(Severity).index(self)


DEFAULT_SEVERITY: dict[str, Severity] = {
    "statement.new": Severity.ROUTINE,
    "statement.edited": Severity.ROUTINE,
    "statement.removed": Severity.URGENT,
    "fact.new": Severity.URGENT,
    "fact.changed": Severity.URGENT,
    "fact.disputed": Severity.URGENT,
    "position.new": Severity.FLASH,
    "position.changed": Severity.FLASH,
    "source.failing": Severity.ROUTINE,
    "source.recovered": Severity.ROUTINE,
    "endpoint.disabled": Severity.URGENT,
}
EVENT_TYPES = tuple(DEFAULT_SEVERITY)


def new_event_id(now: datetime | None = None) -> str:
    """Return a time-ordered UUID (version 7 layout): sortable, unique across workers."""
    millis = int((now.timestamp() if now else time.time()) * 1000) & ((1 << 48) - 1)
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis << 80) | (0x7 << 76) | ((rand >> 68) & 0xFFF) << 64
    value |= (0b10 << 62) | (rand & ((1 << 62) - 1))
    return str(uuid.UUID(int=value))


@dataclass(frozen=True)
class Event:
    """A change event, as stored in the outbox and sent to channels and webhooks."""

    type: str
    source_id: str
    subject: str
    time: datetime
    data: dict[str, Any]
    severity: Severity
    topics: tuple[str, ...] = ()
    statement_id: int | None = None
    id: str = field(default_factory=new_event_id)
    source_uri: str | None = None  # the CloudEvents source, when it is not a tracker source
    held: bool = False  # its claim needs review: queued as needs_review, deliveries held

    @property
    def source(self) -> str:
        """Return the CloudEvents `source` attribute: the tracker source that produced it."""
        return self.source_uri or f"/sources/{self.source_id}"

    def to_cloudevent(self) -> dict[str, Any]:
        """Return the event as a structured-mode CloudEvents 1.0 JSON object."""
        return cloudevent(
            event_id=self.id,
            type_=self.type,
            source=self.source,
            subject=self.subject,
            time=self.time,
            severity=self.severity,
            data=self.data,
        )


def cloudevent(
    *,
    event_id: str,
    type_: str,
    source: str,
    subject: str,
    time: datetime,
    severity: str,
    data: dict[str, Any],
) -> dict[str, Any]:
    """Return a CloudEvents 1.0 envelope; `severity` travels as an extension attribute."""
    return {
        "specversion": SPEC_VERSION,
        "id": event_id,
        "source": source,
        "type": type_,
        "subject": subject,
        "time": time.isoformat().replace("+00:00", "Z"),
        "datacontenttype": "application/json",
        "dataschema": DATA_SCHEMA,
        "severity": severity,
        "data": data,
    }
