"""A sentence as the position reader reads it: its speaker, actors and cues, the claims
(drafts) it yields, and what makes a cue only a supposition."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tracker.domain.claims import Stance
from tracker.domain.extraction.holders import DocContext
from tracker.domain.extraction.mentions import ActorMention, IssueMention
from tracker.domain.extraction.patterns import Match
from tracker.domain.extraction.text import Sentence

# the modals of a duty or a demand ("Ukraine has to cede land")
DUTY = r"should|must|ought to|has to|have to|had to|needs? to|shall"
MODAL = re.compile(
    r"\b(?:should|must|will|would|shall|might|may|could|can|has to|have to|had to|needs? to)\b",
    re.IGNORECASE,
)


_NOT_ONLY = re.compile(r"\bnot\s+only\b", re.IGNORECASE)


# A cue inside an if- or whether-clause is a supposition, not a stance ("tariffs if Moscow
# did not agree"; "did not say whether he would accept"); nor is a prediction by others
# ("is unlikely to agree", "is expected to accept").
IRREALIS = re.compile(
    r"(?:\b(?:if|unless|whether)\b[^,;:\"\u201c\u201d]*"
    r"|\b(?:(?:un)?likely|expected)\s+to\s+(?:\w+\s+)?"
    r"|\b(?:a|an|the|any)\s+(?:possible|potential|eventual|hypothetical|future)\s+)$",
    re.IGNORECASE,
)


IF_THEN = re.compile(
    r"^\W*(?:if|unless|once|as soon as)\b(?P<condition>[^,;:]{3,200}),\s*(?:then\s+)?",
    re.IGNORECASE,
)


_SUBORDINATE = re.compile(r"\b(?:if|unless|whether|until)\b", re.IGNORECASE)


_SUPPOSED = re.compile(r"\b(?:if|whether)\b[^,;:\"\u201c\u201d]*$", re.IGNORECASE)


def irrealis(reading: Reading, cue: Match, mention: IssueMention | None = None) -> bool:
    """Whether a cue only supposes or predicts what it says, or the issue it would govern
    sits in a clause of its own ("would not lift sanctions until a ceasefire is agreed")."""
    if cue.label == "conditional":
        return bool(_SUPPOSED.search(reading.text[: cue.start]))
    if IRREALIS.search(reading.text[: cue.start]):
        return True
    return mention is not None and bool(_SUBORDINATE.search(reading.text[cue.end : mention.start]))


STANCE_OF_CUE = {
    "supports": Stance.SUPPORTS,
    "proposal": Stance.SUPPORTS,
    "opposes": Stance.OPPOSES,
    "conditional": Stance.CONDITIONAL,
}


FLIP = {
    Stance.SUPPORTS: Stance.OPPOSES,
    Stance.OPPOSES: Stance.SUPPORTS,
    Stance.CONDITIONAL: Stance.OPPOSES,
}


@dataclass(frozen=True)
class Draft:
    """A claim read from one sentence, before the document's claims are merged."""

    actor: str
    issue: str
    stance: Stance
    sentence: Sentence
    conditions: tuple[str, ...] = ()
    basis: str = "verb"  # how it was read; `confidence` weighs each way (see BASIS_CONFIDENCE)


@dataclass
class Reading:
    """One sentence as the extractor reads it."""

    sentence: Sentence
    ctx: DocContext
    speaker: str | None
    actors: list[ActorMention]
    cues: list[Match]
    speaker_person: bool = False  # the quoted words are a person's (Peskov's, not the Kremlin's)
    attribution: str | None = None  # "..., Peskov said": the person the sentence ends by naming
    holders: dict[int, list[str]] = field(default_factory=dict)  # cue start -> its holders
    subject_ends: dict[int, int] = field(default_factory=dict)  # cue start -> end of its subject
    named: dict[int, bool] = field(default_factory=dict)  # cue start -> its holder is named
    issues: list[IssueMention] = field(default_factory=list)  # the issues the sentence names

    @property
    def text(self) -> str:
        """Return the sentence text."""
        return self.sentence.text

    def own(self, actor: str, reporter: str | None = None) -> str:
        """Map "Ukraine" in Zelenskiy's own (or reported) words to Zelenskiy."""
        reporter = reporter or self.attribution
        if reporter:
            return self.ctx.own_words(actor, reporter, person=True)
        if self.speaker:
            return self.ctx.own_words(actor, self.speaker, person=self.speaker_person)
        return self.ctx.own_words(actor, self.ctx.speaker, person=self.ctx.speaker_person)

    @property
    def own_statement(self) -> bool:
        """Return whether the sentence is a person's own words (their statement, or a quote)."""
        if self.speaker:
            actor = self.ctx.vocab.actor(self.speaker)
            return self.speaker_person or (actor is not None and actor.kind == "person")
        actor = self.ctx.vocab.actor(self.ctx.speaker) if self.ctx.speaker else None
        return self.ctx.speaker_person or (actor is not None and actor.kind == "person")

    def closing_source(self) -> str | None:
        """ "..., the Kremlin said" / "..., the head of the Russian delegation added": whoever
        the closing attribution names, a person or not."""
        text = self.text
        reports = [c for c in self.cues if c.label == "reporting"]
        if not reports or len(text[reports[-1].end :].split()) > 8:
            return None
        cue = reports[-1]
        comma = text.rfind(",", 0, cue.start)
        if comma < 0 or len(text[comma : cue.start].split()) > 8:
            return None
        named = [a for a in self.actors if comma < a.start < cue.end + 40 and len(a.actors) == 1]
        return named[0].actors[0] if named else None

    def default_holder(self) -> list[str]:
        """Whose stance an impersonal sentence states: its quoted speaker, the one named in
        a trailing attribution (", the Kremlin said"), or the voice."""
        who = self.speaker or self.attribution or self.closing_source() or self.ctx.voice
        return [self.own(who)] if who else []


def negated(reading: Reading, start: int, end: int) -> bool:
    window = _NOT_ONLY.sub(" ", reading.text[max(0, start) : end])
    return bool(reading.ctx.vocab.negation.search(window))
