"""The rule-based extractor: a document and a vocabulary in, position and fact claims out."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Protocol

from tracker.domain.claims import Extraction, FactClaim
from tracker.domain.extraction.conditions import carried_conditions
from tracker.domain.extraction.confidence import merge
from tracker.domain.extraction.document import Document, screened
from tracker.domain.extraction.facts import document_contexts, sentence_facts
from tracker.domain.extraction.holders import document_context
from tracker.domain.extraction.mentions import find_issues
from tracker.domain.extraction.positions import sentence_positions
from tracker.domain.extraction.reading import Draft
from tracker.domain.extraction.text import Sentence, split_sentences
from tracker.domain.extraction.vocabulary import Vocabulary

_PLAN_WORDS = re.compile(
    r"\b(?:plan|draft|framework|memorandum|proposals?|points?|roadmap)\b", re.IGNORECASE
)
_POINT = re.compile(r"^[ \t]*(?:\d{1,2}|[a-z])[.)][ \t]+\S.*$", re.MULTILINE)
_MIN_POINTS = 3


def plan_points(document: Document, text: str) -> list[tuple[int, int]]:
    """The numbered points of a plan's text: what its author proposes, whoever they name.

    A document is a plan when its speaker line or title calls it one ("US draft 28-point
    peace plan") and it has numbered points."""
    points = [m.span() for m in _POINT.finditer(text)]
    named = _PLAN_WORDS.search(f"{document.speaker} {document.title}")
    return points if named and len(points) >= _MIN_POINTS else []


class Extractor(Protocol):
    """Anything that reads claims from a document (the rules, or a language model)."""

    def extract(self, document: Document) -> Extraction: ...


class RuleExtractor:
    """Reads claims with the cue phrases and patterns of a topic's vocabulary."""

    def __init__(
        self, vocabulary: Vocabulary, scripts: frozenset[str] = frozenset({"LATIN"})
    ) -> None:
        self.vocabulary = vocabulary
        self.scripts = scripts  # the scripts its vocabulary is written in

    def extract(self, document: Document) -> Extraction:
        """Return the claims of `document`, one per (actor, issue) and per (fact, value)."""
        text = f"{document.title}\n\n{document.text}" if document.title else document.text
        text, notes = screened(text, self.scripts)
        if notes:
            return replace(self._read(document, text), notes=tuple(notes))
        return self._read(document, text)

    def _read(self, document: Document, text: str) -> Extraction:
        if not text.strip() or self.vocabulary.about_elsewhere(text):
            return Extraction()  # the Korean armistice, a Gaza truce: another story's claims
        sentences = split_sentences(text)
        ctx = document_context(self.vocabulary, sentences, document.speaker)
        ctx.focus = self._dominant_issue(sentences)
        points = plan_points(document, text) if ctx.voice else []
        drafts: list[Draft] = []
        facts: list[FactClaim] = []
        seen: set[tuple[str, object]] = set()
        specs = self.vocabulary.facts
        in_document = document_contexts(specs, f"{document.speaker}\n{text}")
        previous: list[Draft] = []  # the claims of the sentence before
        for sentence in sentences:
            in_point = any(a <= sentence.start < b for a, b in points)
            elsewhere = self.vocabulary.about_elsewhere(sentence.text)
            read = sentence_positions(sentence, ctx, proposed=in_point, elsewhere=elsewhere)
            if previous:  # "However, this would require ...": their terms
                drafts[len(drafts) - len(previous) :] = carried_conditions(sentence, previous)
            drafts += read
            previous = read
            if elsewhere:
                continue  # "a complete ceasefire between Israel and Iran": another story's
            for fact in sentence_facts(
                sentence, specs, document.published, document.id, in_document
            ):
                if (fact.key, fact.value) not in seen:
                    seen.add((fact.key, fact.value))
                    facts.append(fact)
        return Extraction(merge(drafts, document.id), facts)

    def _dominant_issue(self, sentences: list[Sentence]) -> tuple[str, ...]:
        """The issue named most often: what "the idea" means before anything was named."""
        mentions = [
            m.issue
            for s in sentences
            for m in find_issues(s.text, self.vocabulary, ())
            if not m.anaphoric
        ]
        if not mentions:
            return ()
        return (max(set(mentions), key=mentions.count),)
