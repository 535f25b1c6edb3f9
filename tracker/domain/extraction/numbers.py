"""Numbers as statements write them: digits, words, fractions, durations."""

from __future__ import annotations

import re

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
SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
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
    words = [w for w in re.split(r"[\s-]+", text.lower()) if w and w != "and"]
    total, current, half = 0.0, 0.0, False
    if words[-2:] == ["a", "half"]:
        words, half = words[:-2], True
    for word in words:
        if word in UNITS:
            current += UNITS[word]
        elif word in TENS:
            current += TENS[word]
        elif word in SCALES:
            scale = SCALES[word]
            if scale >= 1000:
                total += max(current, 1) * scale
                current = 0
            else:
                current = max(current, 1) * scale
        else:
            return None
    return total + current + (0.5 if half else 0.0)


def parse_number(text: str) -> float | None:
    """Return the value of a number in digits or words ("2,500", "thirty", "one and a half")."""
    text = text.strip()
    cleaned = text.replace(",", "")
    try:
        return float(cleaned)
    except ValueError:
        pass
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
