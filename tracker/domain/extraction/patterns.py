"""The cue-phrase pattern language, compiled to regular expressions.

A phrase is words separated by spaces. In a word, `a|b` is an alternative and a trailing `*`
matches any ending (`agree*` = agree, agreed, agrees). The word `...` matches a gap of up to
five words. Words match whole words, any case; spaces match spaces or hyphens.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

_GAP = r"(?:\W+\w+){0,5}?"
_SEP = r"[\s\-\u2013\u2014]+"


def _word(token: str) -> str:
    alternatives = []
    for alt in token.split("|"):
        wildcard = alt.endswith("*")
        body = re.escape(alt.rstrip("*")).replace(r"\-", "[-\u2010-\u2015 ]?")
        body = body.replace("'", "['\u2019]").replace(r"\*", r"\w*")
        alternatives.append(body + (r"\w*" if wildcard else ""))
    return "(?:" + "|".join(alternatives) + ")"


def compile_phrase(phrase: str) -> str:
    """Return the regex source for one cue phrase (without boundaries)."""
    out = ""
    for token in phrase.split():
        if token == "...":  # noqa: S105 - a gap in a phrase, not a password
            out += _GAP
            continue
        out += (_SEP if out and not out.endswith(_GAP) else (r"\W+" if out else "")) + _word(token)
    return out


@dataclass(frozen=True)
class Match:
    """A phrase found in a text: which phrase list entry, and where."""

    label: str
    start: int
    end: int
    text: str


_TOKEN = re.compile(r"[\w@]+")
_RUN = re.compile(r"^[@\w]+")


@lru_cache(maxsize=512)
def _tokens(text: str) -> tuple[tuple[int, tuple[str, ...]], ...]:
    """Each word's start and the index keys it can begin a phrase under (cached: every
    phrase set reads the same sentence)."""
    out = []
    for token in _TOKEN.finditer(text):
        word = token.group(0).lower()
        out.append((token.start(), tuple({word[:1], word[:2], word[:3]})))
    return tuple(out)


class PhraseSet:
    """Labelled phrases; finds non-overlapping matches, the longest at each position.

    One regex of hundreds of alternatives tries each at every position of the text. Instead,
    phrases are indexed by the first letters of their first word, and only the phrases whose
    first word could start at a word of the text are tried there.
    """

    def __init__(self, phrases: Iterable[tuple[str, str]], *, case_sensitive: bool = False) -> None:
        flags = 0 if case_sensitive else re.IGNORECASE
        self._index: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
        for label, phrase in sorted(set(phrases)):
            regex = re.compile(compile_phrase(phrase) + r"(?!\w)", flags)
            for key in self._keys(phrase):
                self._index.setdefault(key, []).append((label, regex))

    @staticmethod
    def _keys(phrase: str) -> set[str]:
        keys = set()
        for alternative in phrase.split(maxsplit=1)[0].split("|"):
            run = _RUN.match(alternative)
            if run:
                keys.add(run.group(0)[:3].lower())
        return keys

    def finditer(self, text: str) -> Iterator[Match]:
        """Yield every match in `text`, in order, never overlapping."""
        found: list[tuple[int, int, str]] = []
        index = self._index
        for start, keys in _tokens(text):
            for key in keys:
                for label, regex in index.get(key, ()):
                    hit = regex.match(text, start)
                    if hit:
                        found.append((start, -hit.end(), label))
        last_end = -1
        for start, negative_end, label in sorted(found):
            if start >= last_end:
                last_end = -negative_end
                yield Match(label, start, last_end, text[start:last_end])

    def search(self, text: str) -> Match | None:
        """Return the first match, or None."""
        return next(self.finditer(text), None)


def phrase_set(label: str, phrases: Iterable[str], *, case_sensitive: bool = False) -> PhraseSet:
    """Return a PhraseSet whose phrases all carry one label."""
    return PhraseSet(((label, p) for p in phrases), case_sensitive=case_sensitive)
