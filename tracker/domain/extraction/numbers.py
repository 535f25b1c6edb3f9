"""Numbers as statements write them: digits, words, fractions, durations."""

from __future__ import annotations

import re
from dataclasses import dataclass

UNITS = {
    "zero": 0,
    "one": 1,
    "a": 1,
    "an": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000, "billion": 1_000_000_000}
FRACTIONS = {
    "half": 0.5,
    "third": 1 / 3,
    "quarter": 0.25,
    "fourth": 0.25,
    "fifth": 0.2,
    "sixth": 1 / 6,
    "seventh": 1 / 7,
    "eighth": 0.125,
    "tenth": 0.1,
}
_WORD_NUMBER = "|".join(
    sorted([w for w in [*UNITS, *TENS, *SCALES] if w not in {"a", "an"}], key=len, reverse=True)
)
# "2,500", "1.5", "thirty", "twenty-five", "two hundred", "one and a half"
NUMBER = (
    r"(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
    rf"|\b(?:(?:{_WORD_NUMBER})(?:[\s-]+(?:and[\s-]+)?(?:{_WORD_NUMBER})\b)*)(?:[\s-]+and[\s-]+a[\s-]+half)?\b)"
)
_FRACTION = re.compile(
    r"^(?:(one|a|an|two|three|four)[\s-]+)?(half|third|quarter|fourth|fifth|sixth|seventh|eighth|tenth)s?$",
    re.IGNORECASE,
)


def _words_to_number(text: str) -> float | None:
    words = [w for w in re.split(r"[\s\u00a0\u202f-]+", text.lower()) if w and w != "and"]
    total, current = 0.0, 0.0
    index = 0
    while index < len(words):
        word = words[index]
        following = words[index + 1] if index + 1 < len(words) else ""
        if word in {"a", "an"} and following == "half":
            current += 0.5
            index += 2
            continue
        if word in {"a", "an"} and (following in SCALES or following == "dozen"):
            current = max(current, 1.0)
        elif word in UNITS:
            current += UNITS[word]
        elif word in TENS:
            current += TENS[word]
        elif word == "dozen":
            current = max(current, 1) * 12
        elif word in SCALES:
            scale = SCALES[word]
            if scale >= 1000:
                total += max(current, 1) * scale
                current = 0
            else:
                current = max(current, 1) * scale
        else:
            return None
        index += 1
    return total + current


_DIGITS_ONLY = re.compile(r"(\d{1,3}(?:[,\s\u00a0\u202f]\d{3})+|\d+)(\.\d+)?")


def parse_number(text: str) -> float | None:
    """Return the value of a number in digits or words ("2,500", "2 000", "thirty",
    "one and a half", "two and a half thousand", "5 thousand", "a dozen")."""
    text = text.strip()
    digits = _DIGITS_ONLY.match(text)
    if digits:
        value = float(re.sub(r"[,\s\u00a0\u202f]", "", digits.group(1)) + (digits.group(2) or ""))
        rest = text[digits.end() :].strip(" -\u00a0\u202f").lower()
        if not rest:
            return value
        return value * SCALES[rest] if rest in SCALES else None
    fraction = parse_fraction(text)
    return fraction if fraction is not None else _words_to_number(text)


def parse_fraction(text: str) -> float | None:
    """Return the value of "one-fifth", "a third", "two-thirds", "20%", "20 percent"."""
    text = text.strip().lower()
    percent = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(?:%|per\s?cent)", text)
    if percent:
        return round(float(percent.group(1)) / 100, 4)
    match = _FRACTION.match(text)
    if not match:
        return None
    count = UNITS.get((match.group(1) or "one").lower(), 1)
    return round(count * FRACTIONS[match.group(2).lower()], 4)


def as_int_if_whole(value: float) -> int | float:
    """Return 30 for 30.0 (JSON and equality read better), leave 0.2 alone."""
    return int(value) if float(value).is_integer() else value


# --- the number grammar: every number a text writes, with its span -------------------------

_WORDS = "|".join(sorted([*UNITS.keys() - {"a", "an"}, *TENS, "dozen"], key=len, reverse=True))
_SCALE = "hundred|thousand|million|billion"
_SEPARATOR = r"[\s\u00a0\u202f-]+"
_HALF = rf"{_SEPARATOR}and{_SEPARATOR}a{_SEPARATOR}half"
# a word number: "thirty", "twenty-five", "two hundred and forty", "a thousand", "one and a half"
_WORD_NUMBER = (
    rf"(?:(?:{_WORDS})(?:{_SEPARATOR}(?:and{_SEPARATOR})?(?:{_WORDS}|{_SCALE}))*"
    rf"|an?{_SEPARATOR}(?:{_SCALE}|dozen)(?:{_SEPARATOR}(?:and{_SEPARATOR})?(?:{_WORDS}|{_SCALE}))*)"
    rf"(?:{_HALF})?(?:{_SEPARATOR}(?:{_SCALE}))*"
)
# digits: "2,500", "2 000", "1.5", "5 thousand", "2.5 million"
_DIGITS = (
    r"(?:\d{1,3}(?:,\d{3})+(?!\d)|\d{1,3}(?:[\u00a0\u202f ]\d{3})+(?![\d,.]\d)|\d+)(?:\.\d+)?"
    rf"(?:{_SEPARATOR}(?:{_SCALE}))?"
)
_ONE = rf"(?:{_DIGITS}|{_WORD_NUMBER})"
APPROXIMATORS = (
    "more than|over|about|around|nearly|almost|roughly|approximately|some|at least|up to|"
    "just over|just under|less than|fewer than|under|an estimated|as many as|close to|"
    "upwards of|in excess of|well over"
)
_RANGE = rf"(?:\s*(?:-|\u2013|\u2014)\s*|{_SEPARATOR}(?:to|or){_SEPARATOR})"
QUANTITY = re.compile(
    rf"(?<![\w.,])(?P<approx>(?:{APPROXIMATORS}){_SEPARATOR})?"
    rf"(?:between{_SEPARATOR}(?P<low2>{_ONE}){_SEPARATOR}and{_SEPARATOR}(?P<high2>{_ONE})"
    rf"|(?P<low>{_ONE})(?:{_RANGE}(?P<high>{_ONE}))?)(?!\w)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Quantity:
    """A number a text writes: its span, its value, and whether it was a range or hedged."""

    start: int
    end: int
    value: float
    high: float | None = None  # a range's upper end ("20-25": value 20, high 25)
    approximate: bool = False

    @property
    def is_range(self) -> bool:
        """Return whether the text gave two numbers, not one."""
        return self.high is not None


def find_quantities(text: str) -> list[Quantity]:
    """Return every number in `text`, in order (digits, words, "and a half", ranges)."""
    out = []
    for found in QUANTITY.finditer(text):
        low_text = found.group("low") or found.group("low2")
        high_text = found.group("high") or found.group("high2")
        low = parse_number(low_text)
        if low is None:
            continue
        high = parse_number(high_text) if high_text else None
        if high_text and (high is None or high <= low):
            # "1000-for-1000" or "2-1": not a range; keep the first number alone
            end = found.start("low") + len(low_text) if found.group("low") else found.end()
            out.append(Quantity(found.start(), end, low, None, bool(found.group("approx"))))
            continue
        out.append(Quantity(found.start(), found.end(), low, high, bool(found.group("approx"))))
    return out
