"""Lemmas of words, from simplemma's dictionaries (shipped in its wheel, loaded on first use)."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache


def lemmatizer(language: str) -> Callable[[str], str]:
    """Return a function that gives a word's lemma in `language` ("swapped" -> "swap")."""

    @lru_cache(maxsize=65536)
    def lemma(word: str) -> str:
        # Imported at the first word, not when the function is made: every configuration
        # load makes one, and a poll with no new text to read (a cycle of 304s) or a
        # check-config never asks for a lemma. Its dictionaries cost time and memory.
        import simplemma

        return str(simplemma.lemmatize(word, lang=language)).lower()

    return lemma
