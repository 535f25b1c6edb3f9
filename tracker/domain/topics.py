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


def _compile(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    if not terms:
        return None
    alternatives = "|".join(f"(?P<t{i}>{_term_pattern(t)})" for i, t in enumerate(terms))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


@dataclass(frozen=True)
class Topic:
    """A topic's relevance rule: at least `min_matches` distinct terms, none of `exclude`."""

    id: str
    name: str
    terms: tuple[str, ...]
    exclude: tuple[str, ...] = ()
    min_matches: int = 1
    _terms_re: re.Pattern[str] | None = field(init=False, repr=False, compare=False)
    _exclude_re: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_terms_re", _compile(self.terms))
        object.__setattr__(self, "_exclude_re", _compile(self.exclude))

    def matched_terms(self, text: str) -> list[str]:
        """Return the distinct terms of this topic that occur in `text`, in term order."""
        if self._terms_re is None:
            return []
        hits = {
            int(name[1:])
            for match in self._terms_re.finditer(text)
            for name, value in match.groupdict().items()
            if value is not None
        }
        return [self.terms[i] for i in sorted(hits)]

    def relevance(self, text: str) -> list[str]:
        """Return the matched terms when `text` is relevant to this topic, else []."""
        if self._exclude_re is not None and self._exclude_re.search(text):
            return []
        matched = self.matched_terms(text)
        return matched if len(matched) >= self.min_matches else []


def relevant_topics(topics: list[Topic], text: str) -> dict[str, list[str]]:
    """Return {topic id: matched terms} for each topic that `text` is relevant to."""
    result: dict[str, list[str]] = {}
    for topic in topics:
        matched = topic.relevance(text)
        if matched:
            result[topic.id] = matched
    return result
