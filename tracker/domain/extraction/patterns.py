"""The cue-phrase pattern language, compiled to regular expressions.

A phrase is words separated by spaces. In a word, `a|b` is an alternative and a trailing `*`
matches any ending (`agree*` = agree, agreed, agrees). The word `...` matches a gap of up to
five words. Words match whole words, any case; spaces match spaces or hyphens.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

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


class PhraseSet:
    """Labelled phrases compiled into one regex; non-overlapping, longest-first matches."""

    def __init__(self, phrases: Iterable[tuple[str, str]], *, case_sensitive: bool = False) -> None:
        ordered = sorted(set(phrases), key=lambda p: len(p[1]), reverse=True)
        self.labels = [label for label, _ in ordered]
        alternatives = [f"(?P<p{i}>{compile_phrase(p)})" for i, (_, p) in enumerate(ordered)]
        flags = 0 if case_sensitive else re.IGNORECASE
        self._regex = (
            re.compile(r"(?<![\w@])(?:" + "|".join(alternatives) + r")(?!\w)", flags)
            if alternatives
            else None
        )

    def finditer(self, text: str) -> Iterator[Match]:
        """Yield every match in `text`, in order."""
        if self._regex is None:
            return
        for found in self._regex.finditer(text):
            index = int(found.lastgroup[1:]) if found.lastgroup else 0
            yield Match(self.labels[index], found.start(), found.end(), found.group(0))

    def search(self, text: str) -> Match | None:
        """Return the first match, or None."""
        return next(self.finditer(text), None)


def phrase_set(label: str, phrases: Iterable[str], *, case_sensitive: bool = False) -> PhraseSet:
    """Return a PhraseSet whose phrases all carry one label."""
    return PhraseSet(((label, p) for p in phrases), case_sensitive=case_sensitive)
