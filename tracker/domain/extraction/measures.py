"""Measures built on the number grammar: durations, shares and dates, each with its span.

Nothing here knows a topic: a duration is a number and a unit of time, a share a percentage
or a fraction word, a date a month and a day (or a weekday read against the publication date).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from tracker.domain.extraction.numbers import (
    APPROXIMATORS,
    FRACTIONS,
    UNITS,
    Quantity,
    find_quantities,
)

MINUTES = {
    "minute": 1,
    "min": 1,
    "hour": 60,
    "hr": 60,
    "day": 1440,
    "night": 1440,
    "week": 7 * 1440,
    "month": 30 * 1440,
    "year": 365 * 1440,
}
_UNIT = re.compile(
    r"(?<![\w])(?P<unit>minute|min|hour|hr|day|night|week|month|year)s?(?![\w])(?:[\s-]long(?!\w))?",
    re.IGNORECASE,
)
_ARTICLE = re.compile(r"(?:^|(?<=\W))(?:an?|one|half\s+an?|half)[\s-]+$", re.IGNORECASE)
_APPROX_BEFORE = re.compile(rf"(?:^|\W)(?:{APPROXIMATORS})\s+$", re.IGNORECASE)
_HALF_AFTER = re.compile(r"^[\s-]+and[\s-]+a[\s-]+half(?!\w)", re.IGNORECASE)
_JOIN = re.compile(r"^(?:\s*,?\s*and\s+|\s+|\s*,\s*)$", re.IGNORECASE)


@dataclass(frozen=True)
class Duration:
    """A length of time a text writes ("50 minutes", "a month-long", "2 hours and 5 minutes")."""

    start: int
    end: int
    minutes: float
    unit: str  # the largest unit named: minute | hour | day | week | month | year
    approximate: bool = False
    is_range: bool = False


def find_durations(text: str, quantities: list[Quantity] | None = None) -> list[Duration]:
    """Return every duration in `text`, compounds ("an hour and 20 minutes") summed."""
    numbers = {q.end: q for q in (quantities if quantities is not None else find_quantities(text))}
    simple: list[Duration] = []
    for found in _UNIT.finditer(text):
        unit = found.group("unit").lower()
        size = MINUTES[unit]
        before = text[: found.start()]
        gap = re.search(r"[\s\u00a0-]*$", before)
        number_end = gap.start() if gap else found.start()
        quantity = numbers.get(number_end)
        end = found.end()
        half = _HALF_AFTER.match(text[end:])
        extra = 0.5 if half else 0.0
        if half:
            end += half.end()
        if quantity is not None and number_end < found.start() + 1:
            amount = quantity.value + extra
            start, approx, is_range = quantity.start, quantity.approximate, quantity.is_range
        elif (article := _ARTICLE.search(before)) is not None:
            amount = (0.5 if article.group(0).lower().startswith("half") else 1.0) + extra
            start, approx, is_range = article.start(), False, False
            if text[start : start + 1].isspace() or not text[start : start + 1].isalnum():
                start += 1
            approx = bool(_APPROX_BEFORE.search(text[:start]))
        else:
            continue
        simple.append(Duration(start, end, amount * size, unit, approx, is_range))
    return _compounds(text, simple)


def _compounds(text: str, simple: list[Duration]) -> list[Duration]:
    out: list[Duration] = []
    for duration in simple:
        last = out[-1] if out else None
        if (
            last is not None
            and MINUTES[duration.unit] < MINUTES[last.unit]
            and _JOIN.match(text[last.end : duration.start])
        ):
            out[-1] = Duration(
                last.start,
                duration.end,
                last.minutes + duration.minutes,
                last.unit,
                last.approximate,
                last.is_range or duration.is_range,
            )
        else:
            out.append(duration)
    return out


_FRACTION_WORDS = "|".join(sorted(FRACTIONS, key=len, reverse=True))
_COUNT_WORDS = "one|a|an|two|three|four|five|six|seven|eight|nine"
_SHARE = re.compile(
    rf"(?<![\w.,])(?P<approx>(?:{APPROXIMATORS})\s+)?"
    rf"(?:(?P<percent>\d+(?:\.\d+)?)\s*(?:%|per\s?cent)"
    rf"|(?:(?P<count>{_COUNT_WORDS})[\s-]+)?(?P<fraction>{_FRACTION_WORDS})s?)(?!\w)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Share:
    """A part of a whole: "about 20 percent", "a fifth", "two-thirds"."""

    start: int
    end: int
    value: float
    approximate: bool = False


def find_shares(text: str) -> list[Share]:
    """Return every percentage and fraction word in `text`."""
    out = []
    for found in _SHARE.finditer(text):
        if found.group("percent"):
            value = float(found.group("percent")) / 100
        else:
            count = UNITS.get((found.group("count") or "one").lower(), 1)
            value = count * FRACTIONS[found.group("fraction").lower()]
        out.append(Share(found.start(), found.end(), round(value, 4), bool(found.group("approx"))))
    return out


MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
WEEKDAYS = {
    name: number
    for number, names in enumerate(
        [
            ("monday", "mon"),
            ("tuesday", "tue", "tues"),
            ("wednesday", "wed"),
            ("thursday", "thu", "thurs"),
            ("friday", "fri"),
            ("saturday", "sat"),
            ("sunday", "sun"),
        ]
    )
    for name in names
}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_WEEKDAY = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_DAY2 = r"(?P<day2>\d{1,2})(?:st|nd|rd|th)?"
_DATE = re.compile(
    rf"(?<!\w)(?:(?P<relative>last|next|this|on|past)\s+)?(?:(?P<weekday>{_WEEKDAY})(?:,?\s+|(?!\w)))?"
    rf"(?:(?P<month>{_MONTH})\.?\s+{_DAY}(?!\d)(?:,?\s+(?P<year>\d{{4}}))?"
    rf"|{_DAY2}\s+(?P<month2>{_MONTH})(?!\w)\.?(?:,?\s+(?P<year2>\d{{4}}))?)?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class DateMention:
    """A calendar date a text names, resolved to ISO text when it can be."""

    start: int
    end: int
    value: str
    relative: bool = False  # read from a weekday against the publication date


def _weekday_date(weekday: int, relative: str, published: date) -> date:
    back = (published.weekday() - weekday) % 7
    if relative == "next":
        return published + timedelta(days=(weekday - published.weekday()) % 7 or 7)
    if relative == "coming":
        return published + timedelta(days=(weekday - published.weekday()) % 7)
    if relative == "last" and back == 0:
        back = 7
    return published - timedelta(days=back)


def find_dates(text: str, published: date | None, *, future: bool = False) -> list[DateMention]:
    """Return every date in `text`: "March 18, 2025", "18 March", "on Tuesday" (the Tuesday
    of the week up to `published`, or from it on when the text speaks of the `future`),
    "Monday, May 12" (the month and day win). A date without a year is in the year of
    `published`, or the year before when that would put it half a year after publication."""
    out = []
    for found in _DATE.finditer(text):
        month_name = found.group("month") or found.group("month2")
        weekday = found.group("weekday")
        if month_name is None and weekday is None:
            continue
        if month_name is not None:
            month_word = month_name.lower()
            if month_word == "may" and found.group("month") and not found.group("day"):
                continue
            day = int(found.group("day") or found.group("day2"))
            year_text = found.group("year") or found.group("year2")
            year = int(year_text) if year_text else (published.year if published else None)
            if year is None:
                continue
            try:
                value = date(year, MONTHS[month_word], day)
                if not year_text and published and value > published + timedelta(days=183):
                    value = date(year - 1, MONTHS[month_word], day)
            except ValueError:
                continue
            out.append(DateMention(found.start(), found.end(), value.isoformat()))
            continue
        if published is None or weekday is None:
            continue
        relative = (found.group("relative") or "").lower()
        if future and relative in {"", "on", "this"}:
            relative = "coming"
        resolved = _weekday_date(WEEKDAYS[weekday.lower()], relative, published)
        out.append(DateMention(found.start(), found.end(), resolved.isoformat(), relative=True))
    return out
