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


_NOUN = re.compile(r"[a-z]{3,}")


def compile_phrase(phrase: str, *, plurals: bool = False) -> str:
    """Return the regex source for one cue phrase (without boundaries); with `plurals`, the
    last word matches its plural too ("POW exchange" finds "POW exchanges")."""
    out = ""
    tokens = phrase.split()
    for position, token in enumerate(tokens):
        if token == "...":  # noqa: S105 - a gap in a phrase, not a password
            out += _GAP
            continue
        word = _word(token)
        if plurals and position == len(tokens) - 1:
            word = _word_plural(token)
        out += (_SEP if out and not out.endswith(_GAP) else (r"\W+" if out else "")) + word
    return out


def _word_plural(token: str) -> str:
    alternatives = []
    for alt in token.split("|"):
        plain = _NOUN.fullmatch(alt) and not alt.endswith("s")
        alternatives.append(_word(alt) + ("(?:s|es)?" if plain else ""))
    return "(?:" + "|".join(alternatives) + ")"


@dataclass(frozen=True)
class Match:
    """A phrase found in a text: which phrase list entry, and where."""

    label: str
    start: int
    end: int
    text: str


_TOKEN = re.compile(r"[\w@]+")
_RUN = re.compile(r"^[@\w]+")
_RECENT = 64
_WORDS = 4_000  # distinct words whose candidate phrases are remembered (a statement uses few)
_WHOLE = re.compile(r"[@\w]+")


@lru_cache(maxsize=1024)
def _tokens(text: str) -> tuple[tuple[int, str], ...]:
    """Each word's start and the word in lower case (cached: every phrase set reads the same
    sentence)."""
    return tuple((t.start(), t.group(0).lower()) for t in _TOKEN.finditer(text))


class PhraseSet:
    """Labelled phrases; finds non-overlapping matches, the longest at each position.

    One regex of hundreds of alternatives tries each at every position of the text. Instead,
    phrases are indexed by the first letters of their first word, and only the phrases whose
    first word could start at a word of the text are tried there.
    """

    def __init__(
        self,
        phrases: Iterable[tuple[str, str]],
        *,
        case_sensitive: bool = False,
        plurals: bool = False,
    ) -> None:
        flags = 0 if case_sensitive else re.IGNORECASE
        self._index: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
        # phrases of two plain first words ("the Kremlin", "peace talks"), indexed by both:
        # tried only where that pair of words stands, not at every "the"
        self._pairs: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
        self._pair_firsts: frozenset[str] = frozenset()
        for label, phrase in sorted(set(phrases)):
            regex = re.compile(compile_phrase(phrase, plurals=plurals) + r"(?!\w)", flags)
            pairs = self._pair_keys(phrase, plurals=plurals)
            for key in pairs:
                self._pairs.setdefault(key, []).append((label, regex))
            if pairs:
                continue
            for key in self._keys(phrase, plurals=plurals and len(phrase.split()) == 1):
                self._index.setdefault(key, []).append((label, regex))
        self._pair_firsts = frozenset(key.split(" ", 1)[0] for key in self._pairs)
        # the same sentence is read by several steps (actors before and after its speaker is
        # known, relevance, facts): its matches are kept for the last few texts
        self._recent: dict[str, tuple[Match, ...]] = {}
        self._by_word: dict[str, tuple[tuple[str, re.Pattern[str]], ...]] = {}

    def _candidates(self, word: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
        """The phrases that may begin at `word`: those whose first word is `word` itself, and
        those whose first word (`agree*`) begins with its first letters."""
        found = self._by_word.get(word)
        if found is None:
            index = self._index
            keys = ("=" + word, "~" + word[:1], "~" + word[:2], "~" + word[:3])
            found = tuple(c for key in dict.fromkeys(keys) for c in index.get(key, ()))
            if len(self._by_word) < _WORDS:
                self._by_word[word] = found
        return found

    @staticmethod
    def _pair_keys(phrase: str, *, plurals: bool) -> set[str]:
        """The "first second" word pairs a phrase can begin with, if both are plain words."""
        tokens = phrase.split()
        if len(tokens) < 2 or (plurals and len(tokens) == 2):
            return set()
        firsts, seconds = tokens[0].split("|"), tokens[1].split("|")
        if not all(_WHOLE.fullmatch(w) for w in firsts + seconds):
            return set()
        return {f"{a.lower()} {b.lower()}" for a in firsts for b in seconds}

    @staticmethod
    def _keys(phrase: str, *, plurals: bool = False) -> set[str]:
        keys = set()
        for alternative in phrase.split(maxsplit=1)[0].split("|"):
            if _WHOLE.fullmatch(alternative):
                keys.add("=" + alternative.lower())  # tried only where this very word stands
                if plurals and _NOUN.fullmatch(alternative) and not alternative.endswith("s"):
                    keys |= {"=" + alternative + "s", "=" + alternative + "es"}
                continue
            run = _RUN.match(alternative)
            if run:
                keys.add("~" + run.group(0)[:3].lower())
        return keys

    def finditer(self, text: str) -> Iterator[Match]:
        """Yield every match in `text`, in order, never overlapping."""
        matches = self._recent.get(text)
        if matches is None:
            if len(self._recent) >= _RECENT:
                self._recent.clear()
            matches = self._recent[text] = tuple(self._scan(text))
        return iter(matches)

    def _scan(self, text: str) -> Iterator[Match]:
        found: list[tuple[int, int, str]] = []
        known, candidates, pairs = self._by_word, self._candidates, self._pairs
        firsts = self._pair_firsts
        tokens = _tokens(text)
        for position, (start, word) in enumerate(tokens):
            tried = known.get(word)  # most words: remembered, and no phrase starts there
            if tried is None:
                tried = candidates(word)
            if word in firsts and position + 1 < len(tokens):
                tried = (*tried, *pairs.get(f"{word} {tokens[position + 1][1]}", ()))
            for label, regex in tried:
                hit = regex.match(text, start)
                if hit:
                    found.append((start, -hit.end(), label))
        last_end = -1
        for start, negative_end, label in sorted(found):
            if start >= last_end:
                last_end = -negative_end
                yield Match(label, start, last_end, text[start:last_end])

    def search(self, text: str) -> Match | None:
        """Return the first match (the longest at the first place one starts), or None."""
        tokens = _tokens(text)
        for position, (start, word) in enumerate(tokens):
            best: tuple[int, str] | None = None
            tried = self._candidates(word)
            if word in self._pair_firsts and position + 1 < len(tokens):
                tried = (*tried, *self._pairs.get(f"{word} {tokens[position + 1][1]}", ()))
            for label, regex in tried:
                hit = regex.match(text, start)
                if hit and (best is None or hit.end() > best[0]):
                    best = (hit.end(), label)
            if best is not None:
                return Match(best[1], start, best[0], text[start : best[0]])
        return None


def phrase_set(label: str, phrases: Iterable[str], *, case_sensitive: bool = False) -> PhraseSet:
    """Return a PhraseSet whose phrases all carry one label."""
    return PhraseSet(((label, p) for p in phrases), case_sensitive=case_sensitive)
