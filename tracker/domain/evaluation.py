"""Extraction quality: precision, recall and F1 against annotations, per document and overall."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from tracker.domain.claims import Extraction

PositionKey = tuple[str, str, str]
FactKey = tuple[str, str]


@dataclass(frozen=True)
class Gold:
    """What a careful editor recorded for one document."""

    positions: frozenset[PositionKey]
    facts: frozenset[FactKey]
    # claims read from the document that nobody judged (a correction's other claims): not
    # counted as right or as wrong
    unjudged: frozenset[tuple[str, ...]] = frozenset()


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
        got_positions = [p.key for p in extraction.positions if p.key not in expected.unjudged]
        got_facts = [
            k for f in extraction.facts if (k := fact_key(f.key, f.value)) not in expected.unjudged
        ]
        for score in (positions, report.positions):
            score.add(got_positions, expected.positions)
        for score in (facts, report.facts):
            score.add(got_facts, expected.facts)
        report.documents[doc] = (positions, facts)
    return report


@dataclass(frozen=True)
class DocMeta:
    """What a split needs to know of an annotated document."""

    name: str
    published: date | None
    site: str  # where the text was published: the URL's host, "www." and language parts off
    genre: str = ""


def site_of(url: str) -> str:
    """Return the publishing site of a URL: `https://en.kremlin.ru/x` -> `kremlin.ru`."""
    authority = url.split("://", 1)[-1].split("/", 1)[0].rsplit("@", maxsplit=1)[-1]
    parts = authority.split(":", maxsplit=1)[0].lower().split(".")
    while len(parts) > _DOMAIN_PARTS and parts[0] in _HOST_PREFIXES:
        parts = parts[1:]
    return ".".join(parts)


_DOMAIN_PARTS = 2  # kremlin.ru: what is left once www. and en. are off
_HOST_PREFIXES = frozenset({"www", "en", "eng", "english", "m", "mobile", "amp", "edition"})


@dataclass(frozen=True)
class Split:
    """Which documents the rules may be tuned on, and which are held apart from them.

    By time: documents published before `cut` are the tuning set; later ones are held apart.
    By publisher: documents from a site that published no document of the tuning set, so a
    rule written for one site's phrasing cannot raise its own score.

    With `sealed` documents (batches nobody has studied), the later documents outside them
    are `studied` (read to find what fails, so no longer held apart), and the held-apart
    sets are the sealed documents alone."""

    cut: date
    tuned: tuple[str, ...]
    later: tuple[str, ...]
    other_sites: tuple[str, ...]
    studied: tuple[str, ...] = ()

    @property
    def held(self) -> tuple[str, ...]:
        """Return every document held apart, by time or by publisher."""
        return tuple(dict.fromkeys(self.later + self.other_sites))


def split(documents: Iterable[DocMeta], cut: date, sealed: Iterable[str] = ()) -> Split:
    """Split documents by time at `cut`, and by publishing site; `sealed` names the
    documents nobody has studied (when none are named, every later document counts so)."""
    docs = list(documents)
    unseen = set(sealed)

    def early(d: DocMeta) -> bool:
        return d.published is not None and d.published < cut

    if not unseen:
        tuned = [d for d in docs if early(d)]
        sites = {d.site for d in tuned}
        return Split(
            cut,
            tuple(d.name for d in tuned),
            tuple(d.name for d in docs if not early(d)),
            tuple(d.name for d in docs if d.site not in sites),
        )
    seen = [d for d in docs if d.name not in unseen]
    sites = {d.site for d in seen}
    return Split(
        cut,
        tuple(d.name for d in seen if early(d)),
        tuple(d.name for d in docs if d.name in unseen and not early(d)),
        tuple(d.name for d in docs if d.name in unseen and d.site not in sites),
        tuple(d.name for d in seen if not early(d)),
    )


def subset(report: Report, names: Iterable[str]) -> Report:
    """Return the report's scores over the named documents alone."""
    part = Report()
    for name in names:
        if name not in report.documents:
            continue
        positions, facts = report.documents[name]
        part.documents[name] = (positions, facts)
        for total, score in ((part.positions, positions), (part.facts, facts)):
            total.tp += score.tp
            total.fp += score.fp
            total.fn += score.fn
            total.misses += score.misses
            total.extras += score.extras
    return part


@dataclass(frozen=True)
class Agreement:
    """How far two independent annotations of the same documents agree."""

    documents: int
    positions: Score  # the second annotator's claims scored against the first's
    pairs: Score  # (actor, issue) pairs, whatever the stance
    stance_agreement: float  # on the pairs both recorded, how often the stance is the same
    kappa: float  # Cohen's kappa of the stance per pair ("none" where one did not record it)
    facts: Score


def _kappa(labels: list[tuple[str, str]]) -> float:
    if not labels:
        return 1.0
    observed = sum(a == b for a, b in labels) / len(labels)
    first = [a for a, _ in labels]
    second = [b for _, b in labels]
    expected = sum(
        (first.count(k) / len(labels)) * (second.count(k) / len(labels))
        for k in set(first) | set(second)
    )
    return 1.0 if expected >= 1 else (observed - expected) / (1 - expected)


def agreement(first: dict[str, Gold], second: dict[str, Gold]) -> Agreement:
    """Compare two annotations over the documents both annotated."""
    positions, pairs, facts = Score(), Score(), Score()
    labels: list[tuple[str, str]] = []
    both = [doc for doc in first if doc in second]
    for doc in both:
        a, b = first[doc], second[doc]
        positions.add(b.positions, a.positions)
        facts.add(b.facts, a.facts)
        stance_a = {(p[0], p[1]): p[2] for p in a.positions}
        stance_b = {(p[0], p[1]): p[2] for p in b.positions}
        pairs.add(stance_b, stance_a)
        labels.extend(
            (stance_a.get(pair, "none"), stance_b.get(pair, "none"))
            for pair in sorted(set(stance_a) | set(stance_b))
        )
    shared = [(a, b) for a, b in labels if "none" not in (a, b)]
    same = sum(a == b for a, b in shared) / len(shared) if shared else 1.0
    return Agreement(len(both), positions, pairs, same, _kappa(labels), facts)


CONFIDENCE_BANDS = ((0.0, 0.5), (0.5, 0.6), (0.6, 0.7), (0.7, 0.8), (0.8, 1.01))


@dataclass(frozen=True)
class Band:
    """Claims whose confidence falls in [low, high), and how many of them were right."""

    low: float
    high: float
    claims: int
    correct: int

    @property
    def precision(self) -> float:
        """Return the share of the band's claims that the annotations hold."""
        return self.correct / self.claims if self.claims else 0.0


Grades = dict[str, list[tuple[float, bool]]]


def graded(extraction: Extraction, expected: Gold) -> Grades:
    """Return each predicted claim's confidence and whether the annotations hold it."""
    return {
        "positions": [(p.confidence, p.key in expected.positions) for p in extraction.positions],
        "facts": [
            (f.confidence, fact_key(f.key, f.value) in expected.facts) for f in extraction.facts
        ],
    }


def calibration(grades: Iterable[tuple[float, bool]]) -> list[Band]:
    """Return precision per confidence band: a well calibrated extractor's rises with it."""
    pairs = list(grades)
    return [
        Band(
            low,
            high,
            sum(low <= c < high for c, _ in pairs),
            sum(low <= c < high and ok for c, ok in pairs),
        )
        for low, high in CONFIDENCE_BANDS
    ]
