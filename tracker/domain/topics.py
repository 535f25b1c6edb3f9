"""Topics: which statements are relevant, decided by the terms a topic file names."""

from __future__ import annotations

import re
from dataclasses import dataclass, field


def _term_pattern(term: str) -> str:
    """Return the regex for one term; a trailing `*` matches any word ending."""
    stem = term.rstrip("*")
    words = [re.escape(word) for word in stem.split()]
    body = r"[\s\-]+".join(words)
    return body + (r"\w*" if term.endswith("*") else "")


_SUPPORTING_NEEDED = 2


def _compile(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    if not terms:
        return None
    alternatives = "|".join(f"(?P<t{i}>{_term_pattern(t)})" for i, t in enumerate(terms))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


@dataclass(frozen=True)
class Topic:
    """A topic's relevance rule.

    One of `terms` makes a text relevant; `supporting` terms (words that also belong to
    other stories: "ceasefire", "peace talks", "Russia") count only in pairs, or beside a
    term. Any of `exclude` makes a text irrelevant whatever else it says.
    """

    id: str
    name: str
    terms: tuple[str, ...]
    supporting: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    _terms_re: re.Pattern[str] | None = field(init=False, repr=False, compare=False)
    _supporting_re: re.Pattern[str] | None = field(init=False, repr=False, compare=False)
    _exclude_re: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_terms_re", _compile(self.terms))
        object.__setattr__(self, "_supporting_re", _compile(self.supporting))
        object.__setattr__(self, "_exclude_re", _compile(self.exclude))

    @staticmethod
    def _hits(pattern: re.Pattern[str] | None, terms: tuple[str, ...], text: str) -> list[str]:
        if pattern is None:
            return []
        hits = {
            int(name[1:])
            for match in pattern.finditer(text)
            for name, value in match.groupdict().items()
            if value is not None
        }
        return [terms[i] for i in sorted(hits)]

    def matched_terms(self, text: str) -> list[str]:
        """Return the distinct terms, then supporting terms, that occur in `text`."""
        return self._hits(self._terms_re, self.terms, text) + self._hits(
            self._supporting_re, self.supporting, text
        )

    def relevance(self, text: str) -> list[str]:
        """Return the matched terms when `text` is relevant to this topic, else []."""
        if self._exclude_re is not None and self._exclude_re.search(text):
            return []
        decisive = self._hits(self._terms_re, self.terms, text)
        supporting = self._hits(self._supporting_re, self.supporting, text)
        relevant = bool(decisive) or len(supporting) >= _SUPPORTING_NEEDED
        return decisive + supporting if relevant else []


def relevant_topics(topics: list[Topic], text: str) -> dict[str, list[str]]:
    """Return {topic id: matched terms} for each topic that `text` is relevant to."""
    result: dict[str, list[str]] = {}
    for topic in topics:
        matched = topic.relevance(text)
        if matched:
            result[topic.id] = matched
    return result
