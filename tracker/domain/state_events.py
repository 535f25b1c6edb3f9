"""The events state changes raise: position.new/changed, fact.new/changed/disputed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tracker.domain.claims import FactClaim, FactValue, PositionClaim
from tracker.domain.events import DEFAULT_SEVERITY, Event
from tracker.domain.sources import SourceSpec


@dataclass(frozen=True)
class Provenance:
    """Where a claim was read: the statement, its version, its source, and when it was said."""

    source: SourceSpec
    statement_id: int
    version: int
    title: str
    url: str | None
    stated_at: datetime


@dataclass(frozen=True)
class Earlier:
    """What the state was before the change: a stance or a value, and who said it when."""

    value: Any
    stated_at: datetime
    source_id: str
    conditions: tuple[str, ...] = ()


def _evidence(sentence: str, start: int, end: int, where: Provenance) -> dict[str, Any]:
    return {
        "sentence": sentence,
        "start": start,
        "end": end,
        "statement_id": where.statement_id,
        "version": where.version,
        "title": where.title,
        "url": where.url,
    }


def _base(topic: str, where: Provenance) -> dict[str, Any]:
    return {
        "topic": topic,
        "source": where.source.public(),
        "stated_at": where.stated_at.isoformat(),
    }


def position_event(
    event_type: str,
    *,
    topic: str,
    claim: PositionClaim,
    names: tuple[str, str],
    where: Provenance,
    now: datetime,
    earlier: Earlier | None = None,
) -> Event:
    """Build `position.new` or `position.changed`; `names` = (actor name, issue name)."""
    data = _base(topic, where) | {
        "actor": {"id": claim.actor, "name": names[0]},
        "issue": {"id": claim.issue, "name": names[1]},
        "stance": claim.stance.value,
        "conditions": list(claim.conditions),
        "confidence": round(claim.confidence, 2),
        "evidence": _evidence(
            claim.evidence.sentence, claim.evidence.start, claim.evidence.end, where
        ),
    }
    if earlier is not None:
        data["previous"] = {
            "stance": earlier.value,
            "conditions": list(earlier.conditions),
            "stated_at": earlier.stated_at.isoformat(),
            "source": earlier.source_id,
        }
    return Event(
        type=event_type,
        source_id=where.source.id,
        subject=f"positions/{topic}/{claim.actor}/{claim.issue}",
        time=now,
        data=data,
        severity=DEFAULT_SEVERITY[event_type],
        topics=(topic,),
        statement_id=where.statement_id,
    )


def fact_event(
    event_type: str,
    *,
    topic: str,
    claim: FactClaim,
    name: str,
    where: Provenance,
    now: datetime,
    earlier: Earlier | None = None,
) -> Event:
    """Build `fact.new`, `fact.changed` or `fact.disputed` (then `earlier` is the other value)."""
    data = _base(topic, where) | {
        "key": claim.key,
        "name": name,
        "value": claim.value,
        "confidence": round(claim.confidence, 2),
        "evidence": _evidence(
            claim.evidence.sentence, claim.evidence.start, claim.evidence.end, where
        ),
    }
    if earlier is not None:
        previous = {
            "value": earlier.value,
            "stated_at": earlier.stated_at.isoformat(),
            "source": earlier.source_id,
        }
        data["previous"] = previous
        if event_type == "fact.disputed":
            data["disputed_values"] = [
                previous,
                {
                    "value": claim.value,
                    "stated_at": where.stated_at.isoformat(),
                    "source": where.source.id,
                },
            ]
    return Event(
        type=event_type,
        source_id=where.source.id,
        subject=f"facts/{topic}/{claim.key}",
        time=now,
        data=data,
        severity=DEFAULT_SEVERITY[event_type],
        topics=(topic,),
        statement_id=where.statement_id,
    )


def display(value: FactValue) -> str:
    """Return a fact value as an alert shows it (0.2 -> "0.2", "energy_infrastructure" -> words)."""
    return str(value).replace("_", " ")
