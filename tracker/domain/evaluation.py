"""Extraction quality: precision, recall and F1 against annotations, per document and overall."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from tracker.domain.claims import Extraction

PositionKey = tuple[str, str, str]
FactKey = tuple[str, str]


@dataclass(frozen=True)
class Gold:
    """What a careful editor recorded for one document."""

    positions: frozenset[PositionKey]
    facts: frozenset[FactKey]


def fact_key(key: str, value: object) -> FactKey:
    """Normalise a fact value for comparison: 30 == 30.0, 0.2 == 0.20, dates as ISO text."""
    if isinstance(value, bool):
        return key, str(value).lower()
    if isinstance(value, int | float):
        number = round(float(value), 3)
        return key, str(int(number)) if number.is_integer() else str(number)
    return key, str(value).strip().lower()


@dataclass
class Score:
    """Counts of true positives, false positives and false negatives."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    misses: list[str] = field(default_factory=list)
    extras: list[str] = field(default_factory=list)

    def add(self, predicted: Iterable[tuple[str, ...]], gold: Iterable[tuple[str, ...]]) -> None:
        """Count one document's predictions against its gold set."""
        got, want = set(predicted), set(gold)
        self.tp += len(got & want)
        self.fp += len(got - want)
        self.fn += len(want - got)
        self.extras += [" ".join(k) for k in sorted(got - want)]
        self.misses += [" ".join(k) for k in sorted(want - got)]

    @property
    def precision(self) -> float:
        """Return TP / (TP + FP); 1 when nothing was predicted or expected."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else float(self.fn == 0)

    @property
    def recall(self) -> float:
        """Return TP / (TP + FN); 1 when nothing was expected."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        """Return the harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Report:
    """Scores per document and overall, for positions and for facts."""

    documents: dict[str, tuple[Score, Score]] = field(default_factory=dict)
    positions: Score = field(default_factory=Score)
    facts: Score = field(default_factory=Score)


def evaluate(predictions: dict[str, Extraction], gold: dict[str, Gold]) -> Report:
    """Score each document's extraction against its annotations."""
    report = Report()
    for doc, expected in gold.items():
        extraction = predictions.get(doc, Extraction())
        positions, facts = Score(), Score()
        got_positions = [p.key for p in extraction.positions]
        got_facts = [fact_key(f.key, f.value) for f in extraction.facts]
        for score in (positions, report.positions):
            score.add(got_positions, expected.positions)
        for score in (facts, report.facts):
            score.add(got_facts, expected.facts)
        report.documents[doc] = (positions, facts)
    return report
