"""Lemmas of words, from simplemma's dictionaries (shipped in its wheel, loaded on first use)."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache


def lemmatizer(language: str) -> Callable[[str], str]:
    """Return a function that gives a word's lemma in `language` ("swapped" -> "swap")."""
    import simplemma  # imported here: its dictionaries cost time and memory, paid by readers only

    @lru_cache(maxsize=65536)
    def lemma(word: str) -> str:
        return str(simplemma.lemmatize(word, lang=language)).lower()

    return lemma
