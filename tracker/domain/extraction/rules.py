"""Structural fact rules: a value is read where the clause ties it to what the fact is about.

A topic's `facts:` section names the words (anchors, nouns, terms); this module knows only
the shapes English gives them:

- duration: a length of time within `window` words of an anchor ("a 30-day truce", "the call
  lasted 50 minutes"), converted to the fact's unit, never a range, never right after a
  `not_before` word ("within 100 days") or right before a `not_after` one ("50-day deadline").
- count: a number quantifying one of the anchor nouns ("5,000 young soldiers", "175 prisoners
  of war"), whose `qualifiers` are near it ("a week", "each"); with `pairs`, "N for N" and
  "N-for-N" (the same number twice) is the value whatever the noun.
- share: a percentage or fraction "of" an anchor ("about 20 percent of Ukraine").
- date: a date (or weekday, read against the publication date) within `window` words of an
  anchor ("a phone call on February 12", "spoke on Tuesday").
- scope: a term modifying a ceasefire noun (an anchor) or a stopping phrase (a verb and its
  object): before it ("energy ceasefire", "full and unconditional ceasefire") or in the
  phrase after it ("a moratorium on strikes against the energy system"); after it, only the
  nearest term, and never past a word that starts another clause.

Every rule also needs one phrase of each `requires` group somewhere in the clause.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cache, cached_property

from tracker.domain.claims import FactValue
from tracker.domain.extraction.measures import (
    MINUTES,
    DateMention,
    Duration,
    Share,
    find_dates,
    find_durations,
    find_shares,
)
from tracker.domain.extraction.numbers import (
    Quantity,
    as_int_if_whole,
    find_quantities,
    parse_number,
)
from tracker.domain.extraction.patterns import compile_phrase
from tracker.domain.extraction.vocabulary import FactSpec

Hit = tuple[FactValue, int, int]
_WORD = re.compile(r"[\w'\u2019]+")
# words that begin another clause or a time phrase: a term after one does not modify the noun
_BREAKERS = re.compile(
    r"[.;:!?()\u2013\u2014]|(?<!\w)(?:but|while|whereas|although|though|despite|because|which|"
    r"who|whom|whose|if|unless|when|after|before|since|until|till|starting|beginning|from|by|"
    r"instead|rather|except|said|says|say|will|would|shall|should|can|could|may|might|must|"
    r"is|are|was|were|be|been|has|have|had)(?!\w)",
    re.IGNORECASE,
)
# words that may stand between a scope term and the noun it modifies ("energy strike ceasefire",
# "a full, unconditional 30-day ceasefire")
_MODIFIERS = frozenset(
    (
        "and or a an the partial temporary immediate limited mutual possible proposed so called "
        "strike strikes infrastructure facilities facility sites day days hour hours week weeks "
        "month months long lasting durable real genuine true new initial humanitarian agreed "
        "announced declared unilateral separate proper comprehensive complete full total "
        "general unconditional"
    ).split()
)


def _modifier(word: str) -> bool:
    lowered = word.lower()
    return lowered in _MODIFIERS or lowered.isdigit() or parse_number(lowered) is not None


@cache
def phrases(items: tuple[str, ...]) -> re.Pattern[str]:
    """One regex for a list of cue phrases (patterns.py's language), whole words, any case."""
    if not items:
        return re.compile(r"(?!)")
    body = "|".join(compile_phrase(p) for p in sorted(set(items), key=len, reverse=True))
    return re.compile(rf"(?<![\w#])(?:{body})(?!\w)", re.IGNORECASE)


def _words(text: str) -> int:
    return len(_WORD.findall(text))


@dataclass
class Clause:
    """One clause and the measures found in it, each computed once for all facts."""

    text: str
    published: date | None

    @cached_property
    def quantities(self) -> list[Quantity]:
        """Every number in the clause."""
        return find_quantities(self.text)

    @cached_property
    def durations(self) -> list[Duration]:
        """Every duration in the clause."""
        return find_durations(self.text, self.quantities)

    @cached_property
    def shares(self) -> list[Share]:
        """Every percentage and fraction in the clause."""
        return find_shares(self.text)

    @cached_property
    def dates(self) -> list[DateMention]:
        """Every date in the clause."""
        return find_dates(self.text, self.published, future=bool(_FUTURE.search(self.text)))


def _requires(spec: FactSpec, text: str) -> bool:
    return all(phrases(group).search(text) for group in spec.requires)


def _tied(
    text: str,
    start: int,
    end: int,
    anchors: tuple[str, ...] | list[tuple[int, int]],
    window: int,
    before: int | None = None,
    *,
    strict: bool = False,
) -> bool:
    """Whether an anchor (phrases, or spans already found) is within `window` words of
    text[start:end] (`before` words when it comes first), with no sentence punctuation between
    (`strict`: no clause breaker either)."""
    spans = (
        [(m.start(), m.end()) for m in phrases(anchors).finditer(text)]
        if isinstance(anchors, tuple)
        else anchors
    )
    for anchor_start, anchor_end in spans:
        limit = window
        if anchor_start >= end:
            gap = text[end:anchor_start]
        elif anchor_end <= start:
            gap = text[anchor_end:start]
            limit = window if before is None else before
        else:
            return True
        if _words(gap) <= limit and not (_BREAKERS if strict else _PUNCTUATION).search(gap):
            return True
    return False


def _excluded(spec: FactSpec, text: str, start: int, end: int) -> bool:
    if spec.not_before and _before(spec.not_before).search(text[max(0, start - 60) : start]):
        return True
    return bool(spec.not_after and _after(spec.not_after).match(text, end))


@cache
def _before(items: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(rf"(?:{phrases(items).pattern}){_BETWEEN}\W*$", re.IGNORECASE)


@cache
def _after(items: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(rf"[\s-]*(?:{phrases(items).pattern})", re.IGNORECASE)


@cache
def _noun(anchors: tuple[str, ...], window: int) -> re.Pattern[str]:
    """A number's head noun after up to `window` modifiers ("5,000 young soldiers")."""
    return re.compile(
        rf"(?:[\s-]+[\w'\u2019-]+){{0,{window}}}?[\s-]+(?:{phrases(anchors).pattern})",
        re.IGNORECASE,
    )


@cache
def _of(anchors: tuple[str, ...]) -> re.Pattern[str]:
    """ "of" and the whole a share is part of ("of Ukraine", "of the country")."""
    return re.compile(rf"\s+of\s+(?:\w+\s+){{0,2}}?(?:{phrases(anchors).pattern})", re.IGNORECASE)


@cache
def _object(objects: tuple[str, ...]) -> re.Pattern[str]:
    """What a stopping verb stops, after up to two words ("cease any strikes")."""
    return re.compile(
        rf"(?:[\s-]+[\w'\u2019]+){{0,2}}?[\s-]+(?:{phrases(objects).pattern})", re.IGNORECASE
    )


_PAIR = re.compile(r"(?:[\s-]+[\w'\u2019]+){0,8}?[\s-]+for[\s-]+|[\s-]*for[\s-]+|-for-")


_PUNCTUATION = re.compile(r"[.;!?]")
# a clause about what is to come: its weekdays are the coming ones ("will speak on Monday")
_FUTURE = re.compile(
    r"(?<!\w)(?:will|would|shall|'ll|plans?\s+to|planning\s+to|expected\s+to|set\s+to|"
    r"scheduled|going\s+to|intends?\s+to|is\s+to|are\s+to|upcoming|next)(?!\w)",
    re.IGNORECASE,
)
_BETWEEN = r"(?:\W+(?:the|a|an|next|coming|following|first|last|past))*"
# "not only in the Black Sea, but ...": a term after these is not the ceasefire's scope
_NOT_THIS = re.compile(
    r"(?<!\w)(?:not\s+only|not\s+just|beyond|except|excluding)\W+(?:\w+\W+){0,2}$", re.IGNORECASE
)


def _number(value: float) -> FactValue:
    return as_int_if_whole(round(value, 4))


def read_rule(spec: FactSpec, clause: Clause) -> list[Hit]:
    """Return the values (with their spans) the spec's rule reads from the clause."""
    if not _requires(spec, clause.text):
        return []
    reader = _READERS.get(spec.rule)
    return reader(spec, clause) if reader else []


def _durations(spec: FactSpec, clause: Clause) -> list[Hit]:
    size = MINUTES[spec.unit]
    small = {"minute": ("minute", "hour"), "hour": ("minute", "hour")}
    units = small.get(spec.unit, ("hour", "day", "night", "week", "month", "year"))
    out: list[Hit] = []
    anchors: list[tuple[int, int]] | None = None
    for d in clause.durations:
        if d.is_range or d.minutes <= 0 or d.unit not in units:
            continue
        if _excluded(spec, clause.text, d.start, d.end):
            continue
        value = d.minutes / size
        if size >= MINUTES["day"] and not value.is_integer():
            continue  # "30 hours" is no number of days
        anchors = anchors if anchors is not None else _cessations(spec, clause.text)
        if _tied(clause.text, d.start, d.end, anchors, spec.window):
            out.append((_number(value), d.start, d.end))
    return out


def _near(spec: FactSpec, text: str, start: int, end: int) -> bool:
    return all(
        _tied(text, start, end, group, spec.window, before=min(spec.window, 2))
        for group in spec.qualifiers
        if group
    )


def _counts(spec: FactSpec, clause: Clause) -> list[Hit]:
    text = clause.text
    out: list[Hit] = []
    numbers = [q for q in clause.quantities if not q.is_range and q.value >= 1]
    starts = {q.start: q for q in numbers}
    noun = _noun(spec.anchors, spec.window) if spec.anchors else None
    for q in numbers:
        if not float(q.value).is_integer():
            continue
        if spec.pairs:
            link = _PAIR.match(text, q.end)
            other = starts.get(link.end()) if link else None
            if link and other is not None and other.value == q.value:
                out.append((_number(q.value), q.start, other.end))
                continue
        if noun is None or _excluded(spec, text, q.start, q.end):
            continue
        head = noun.match(text, q.end)
        if head and _near(spec, text, q.start, head.end()):
            out.append((_number(q.value), q.start, head.end()))
    return out


def _shares(spec: FactSpec, clause: Clause) -> list[Hit]:
    text = clause.text
    of = _of(spec.anchors) if spec.anchors else re.compile(r"\s+of\b")
    out: list[Hit] = []
    for share in clause.shares:
        found = of.match(text, share.end)
        if found and 0 < share.value < 1:
            out.append((share.value, share.start, found.end()))
    return out


def _dates(spec: FactSpec, clause: Clause) -> list[Hit]:
    text = clause.text
    return [
        (d.value, d.start, d.end)
        for d in clause.dates
        if not _excluded(spec, text, d.start, d.end)
        and _tied(text, d.start, d.end, spec.anchors, spec.window, strict=True)
    ]


def _cessations(spec: FactSpec, text: str) -> list[tuple[int, int]]:
    spans = [(m.start(), m.end()) for m in phrases(spec.anchors).finditer(text)]
    if spec.verbs and spec.objects:
        obj = _object(spec.objects)
        for verb in phrases(spec.verbs).finditer(text):
            found = obj.match(text, verb.end())
            if found:
                spans.append((verb.start(), found.end()))
    return sorted(spans)


def _scope(spec: FactSpec, clause: Clause) -> list[Hit]:
    text = clause.text
    heads = _cessations(spec, text)
    if not heads:
        return []
    terms = sorted(
        (m.start(), m.end(), value)
        for value, items in spec.terms.items()
        for m in phrases(items).finditer(text)
    )
    out: list[Hit] = []
    for head_start, head_end in heads:
        # before the noun: a chain of terms and modifiers right up to it
        position = head_start
        for start, end, value in reversed([t for t in terms if t[1] <= head_start]):
            gap = text[end:position]
            if any(not _modifier(w) for w in _WORD.findall(gap)) or re.search(r"[.;:!?()]", gap):
                break
            out.append((value, start, head_end))
            position = start
        # after it: the nearest term in the phrase that follows
        only_before = phrases(spec.before_only)
        after = [
            t for t in terms if t[0] >= head_end and not only_before.fullmatch(text, t[0], t[1])
        ]
        if after:
            start, end, value = after[0]
            gap = text[head_end:start]
            if (
                _words(gap) <= spec.window
                and not _BREAKERS.search(gap)
                and not _NOT_THIS.search(text[max(0, start - 40) : start])
            ):
                out.append((value, head_start, end))
    return out


_READERS = {
    "duration": _durations,
    "count": _counts,
    "share": _shares,
    "date": _dates,
    "scope": _scope,
}
