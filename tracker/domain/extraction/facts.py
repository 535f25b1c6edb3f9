"""Key facts: typed values read by a topic's structural rules (rules.py) and its patterns.

A fact with a `rule` is read by structure: the number grammar (numbers.py), durations, shares
and dates (measures.py), each value tied to what the fact is about within its clause. The
older `patterns` (regexes with {number}-style placeholders) and enum `values` still work and
are read alongside.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from functools import cache

from tracker.domain.claims import Evidence, FactClaim, FactValue
from tracker.domain.extraction.measures import MONTHS
from tracker.domain.extraction.numbers import NUMBER, as_int_if_whole, parse_fraction, parse_number
from tracker.domain.extraction.rules import Clause, read_rule
from tracker.domain.extraction.rules import phrases as _phrases
from tracker.domain.extraction.text import Sentence
from tracker.domain.extraction.vocabulary import FactSpec

_MONTHS = MONTHS
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_FRACTION = (
    r"(?:\d+(?:\.\d+)?\s*(?:%|per\s?cent)"
    r"|(?:(?:one|a|an|two|three|four)[\s-]+)?(?:half|third|quarter|fourth|fifth|sixth|eighth|tenth)s?)"
)
_DURATION = (
    rf"(?:(?:an?|one)[\s-]+hour[\s-]+and[\s-]+a[\s-]+half|(?:{NUMBER}|an?)[\s-]+(?:hours?|minutes?)"
    rf"|(?:{NUMBER})[\s-]+(?:hour|minute))"
)
_DATE = (
    rf"(?:(?:{_MONTH})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?"
    rf"|\d{{1,2}}\s+(?:{_MONTH})(?:\s+\d{{4}})?)"
)
_PLACEHOLDERS = {"number": NUMBER, "fraction": _FRACTION, "duration": _DURATION, "date": _DATE}
_CLAUSES = re.compile(r";|,\s*while\b|,\s*whereas\b|\bwhile\b")


@cache
def _compile(pattern: str) -> re.Pattern[str]:
    source = pattern
    for name, regex in _PLACEHOLDERS.items():
        source = source.replace("{" + name + "}", f"(?P<value>{regex})")
    return re.compile(source, re.IGNORECASE)


def _minutes(text: str) -> float | None:
    lowered = text.lower().replace("-", " ")
    if re.search(r"\ban? hour and a half\b|\bone hour and a half\b", lowered):
        return 90.0
    unit = 60 if "hour" in lowered else 1
    amount = re.sub(r"\s*(hours?|minutes?)\s*$", "", lowered).strip()
    value = 1.0 if amount in {"a", "an"} else parse_number(amount)
    return None if value is None else value * unit


def _date_value(text: str, published: date | None) -> str | None:
    words = re.findall(r"[a-z]+|\d+", text.lower())
    month = next((_MONTHS[w] for w in words if w in _MONTHS), None)
    numbers = [int(w) for w in words if w.isdigit()]
    day = next((n for n in numbers if n <= 31), None)
    year = next((n for n in numbers if n > 31), published.year if published else None)
    if month is None or day is None or year is None:
        return None
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def convert(spec: FactSpec, raw: str, published: date | None) -> FactValue | None:
    """Turn the matched text into the fact's typed value."""
    value: FactValue | None
    if spec.type == "int":
        value = parse_number(raw)
    elif spec.type == "fraction":
        value = parse_fraction(raw)
    elif spec.type == "minutes":
        value = _minutes(raw)
    elif spec.type == "date":
        value = _date_value(raw, published)
    else:
        value = None
    if isinstance(value, float):
        return as_int_if_whole(round(value, 4))
    return value


def _clauses(sentence: Sentence) -> Iterator[tuple[int, str]]:
    start = 0
    for cut in _CLAUSES.finditer(sentence.text):
        yield start, sentence.text[start : cut.start()]
        start = cut.end()
    yield start, sentence.text[start:]


@cache
def _context(context: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(rf"\b{re.escape(t)}" for t in context), re.IGNORECASE)


def _in_context(spec: FactSpec, clause: str) -> bool:
    return not spec.context or _context(spec.context).search(clause) is not None


def sentence_facts(
    sentence: Sentence,
    specs: tuple[FactSpec, ...],
    published: date | None,
    doc: str,
    in_document: frozenset[str] | None = None,
) -> list[FactClaim]:
    """Return the fact claims of one sentence, each value once per key.

    `in_document` names the facts whose `context` the document as a whole satisfies (for
    specs with `document_context`); without it, context is read from the clause.
    """
    claims: dict[tuple[str, FactValue], FactClaim] = {}
    for offset, clause in _clauses(sentence):
        found = Clause(clause, published)
        for spec in specs:
            if spec.blocks and _phrases(spec.blocks).search(clause):
                continue
            if spec.document_context and in_document is not None:
                if spec.key not in in_document:
                    continue
            elif not _in_context(spec, clause):
                continue
            values = list(_values(spec, clause, published)) if spec.patterns or spec.values else []
            if spec.rule:
                values += read_rule(spec, found)
            for value, start, end in values:
                begin = sentence.start + offset + start
                evidence = Evidence(sentence.text, begin, sentence.start + offset + end, doc)
                claims.setdefault((spec.key, value), FactClaim(spec.key, value, evidence))
    return list(claims.values())


def document_contexts(specs: tuple[FactSpec, ...], text: str) -> frozenset[str]:
    """Return the keys of the facts with `document_context` whose context `text` names."""
    return frozenset(s.key for s in specs if s.document_context and _in_context(s, text))


def _values(
    spec: FactSpec, clause: str, published: date | None
) -> Iterator[tuple[FactValue, int, int]]:
    if spec.type == "enum":
        hits = []
        for value, patterns in spec.values.items():
            spans = [m.span() for p in patterns if (m := _compile(p).search(clause))]
            if spans:
                start, end = min(spans)
                hits.append((start, end, value))
        yield from ((value, start, end) for start, end, value in sorted(hits))
        return
    for pattern in spec.patterns:
        for found in _compile(pattern).finditer(clause):
            raw = found.group("value") if "value" in found.groupdict() else found.group(0)
            converted = convert(spec, raw, published)
            if converted is not None:
                yield converted, found.start(), found.end()
