"""Claims: what a statement says about positions and key facts, with the evidence for each."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any


class Stance(StrEnum):
    """An actor's stance toward an issue (a proposition)."""

    SUPPORTS = "supports"
    OPPOSES = "opposes"
    CONDITIONAL = "conditional"


@dataclass(frozen=True)
class Evidence:
    """Where a claim was read: the sentence and its character offsets in the document text."""

    sentence: str
    start: int
    end: int
    document: str = ""

    def to_json(self) -> dict[str, Any]:
        """Return the evidence as JSON."""
        return {
            "sentence": self.sentence,
            "start": self.start,
            "end": self.end,
            "document": self.document,
        }


@dataclass(frozen=True)
class PositionClaim:
    """`actor` holds `stance` on `issue` (with `conditions` when conditional)."""

    actor: str
    issue: str
    stance: Stance
    evidence: Evidence
    conditions: tuple[str, ...] = ()
    confidence: float = 0.7
    basis: str = ""  # how it was read: a stance verb with its subject, a report, an assertion ...

    @property
    def key(self) -> tuple[str, str, str]:
        """Return the (actor, issue, stance) triple that evaluation compares."""
        return (self.actor, self.issue, self.stance.value)

    def to_json(self) -> dict[str, Any]:
        """Return the claim in the `tracker extract --json` format."""
        return {
            "actor": self.actor,
            "issue": self.issue,
            "stance": self.stance.value,
            "conditions": list(self.conditions),
            "evidence": self.evidence.to_json(),
            "confidence": round(self.confidence, 2),
            "basis": self.basis,
        }


FactValue = int | float | str


@dataclass(frozen=True)
class FactClaim:
    """The key fact `key` has `value`."""

    key: str
    value: FactValue
    evidence: Evidence
    confidence: float = 0.8

    def to_json(self) -> dict[str, Any]:
        """Return the claim in the `tracker extract --json` format."""
        return {
            "key": self.key,
            "value": self.value,
            "evidence": self.evidence.to_json(),
            "confidence": round(self.confidence, 2),
        }


@dataclass(frozen=True)
class Extraction:
    """Every claim of one document."""

    positions: list[PositionClaim] = field(default_factory=list)
    facts: list[FactClaim] = field(default_factory=list)
    notes: tuple[str, ...] = ()  # what the reader should know: a text cut short, unread script

    def bound_to(self, document: str) -> Extraction:
        """Return the same claims, their evidence pointing at `document`."""
        return Extraction(
            [replace(p, evidence=replace(p.evidence, document=document)) for p in self.positions],
            [replace(f, evidence=replace(f.evidence, document=document)) for f in self.facts],
            self.notes,
        )

    def to_json(self) -> dict[str, Any]:
        """Return `{"positions": [...], "facts": [...]}`."""
        return {
            "positions": [p.to_json() for p in self.positions],
            "facts": [f.to_json() for f in self.facts],
            "notes": list(self.notes),
        }
