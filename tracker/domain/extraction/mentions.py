"""Mentions in a sentence: actors (by name, pronoun or collective), issues, and cue words."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from tracker.domain.extraction.patterns import Match
from tracker.domain.extraction.vocabulary import Vocabulary

_PREPOSITIONS = frozenset(
    (
        "to with from for of on in against by about toward towards between at over into among "
        "counterpart counterparts"
    ).split()
)
_NOT_ONLY = re.compile(r"\bnot\s+only\s+(?:in\s+|on\s+|at\s+)?(?:the\s+)?$", re.IGNORECASE)
_GENERIC_QUALIFIER = re.compile(
    r"\b(?:complete|full|comprehensive|general|total|entire)\s+$", re.IGNORECASE
)


@dataclass(frozen=True)
class ActorMention:
    """Actors named at a span: one for a name or pronoun, several for "both leaders"."""

    start: int
    end: int
    actors: tuple[str, ...]
    kind: str  # name | first | third | collective | passive
    person: bool = False  # names a person ("Peskov", "he"), not an institution or a country
    bound: bool = False  # a pronoun whose antecedent the same sentence names ("Putin said he")

    @property
    def named(self) -> bool:
        """Return whether the sentence itself says who this is (a name, "we", "he" after
        its antecedent), not the document's context."""
        return self.kind != "third" or self.bound

    def possessive(self, text: str) -> bool:
        """Return whether the mention is a possessive ("our", "his", "Trump's")."""
        return self.kind.endswith("_poss") or text[self.end : self.end + 2] in {"'s", "\u2019s"}

    def preceded_by_preposition(self, text: str) -> bool:
        """Return whether a preposition governs the mention (so it is no subject)."""
        before = re.split(r"[,;:()\u2013\u2014]", text[max(0, self.start - 40) : self.start])[-1]
        words = [w.lower() for w in re.findall(r"[\w.']+", before)]
        return any(w in _PREPOSITIONS for w in words[-3:])


@dataclass(frozen=True)
class IssueMention:
    """An issue named (or referred back to) at a span; `inverse` if the words name its opposite."""

    start: int
    end: int
    issue: str
    inverse: bool = False
    anaphoric: bool = False


@dataclass
class SentenceMentions:
    """Everything found in one sentence."""

    actors: list[ActorMention] = field(default_factory=list)
    issues: list[IssueMention] = field(default_factory=list)
    cues: list[Match] = field(default_factory=list)


def find_issues(text: str, vocab: Vocabulary, focus: tuple[str, ...]) -> list[IssueMention]:
    """Find issue mentions; a narrow issue absorbs the generic word next to it."""
    found = [
        IssueMention(m.start, m.end, m.label.rstrip("!"), inverse=m.label.endswith("!"))
        for m in vocab.issue_cues.finditer(text)
    ]
    refined = {i.id: i.refines for i in vocab.issues if i.refines}
    kept = []
    for mention in found:
        if _NOT_ONLY.search(text[max(0, mention.start - 20) : mention.start]):
            continue  # "not only in the Black Sea, but along the whole front": part of a wider one
        if mention.issue in refined.values() and _absorbed(text, mention, found, refined):
            continue
        kept.append(mention)
    for match in vocab.anaphora.finditer(text):
        if focus and not any(m.start <= match.start < m.end for m in kept):
            kept.extend(
                IssueMention(match.start, match.end, issue, anaphoric=True) for issue in focus
            )
    return sorted(kept, key=lambda m: m.start)


def _absorbed(
    text: str, generic: IssueMention, found: list[IssueMention], refined: Mapping[str, str | None]
) -> bool:
    if _GENERIC_QUALIFIER.search(text[max(0, generic.start - 16) : generic.start]):
        return False  # "full ceasefire" stands on its own
    for other in found:
        if refined.get(other.issue) != generic.issue:
            continue
        between = (
            text[generic.end : other.start]
            if other.start >= generic.end
            else text[other.end : generic.start]
        )
        if other.start < generic.end and other.end > generic.start:
            return True
        if "," not in between and len(between.split()) <= 4:
            return True
    return False


def find_cues(text: str, vocab: Vocabulary) -> list[Match]:
    """Find stance, speech, neutral, proposal and conditional cues."""
    cues = list(vocab.cues.finditer(text)) + list(vocab.conditional.finditer(text))
    return sorted(cues, key=lambda c: c.start)
