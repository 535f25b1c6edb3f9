"""A topic's vocabulary for extraction: actors, issues, facts and cue phrases, compiled once."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from tracker.domain.extraction.lexicon import (
    FIRST_PERSON,
    FIRST_POSSESSIVE,
    THIRD_PERSON,
    THIRD_POSSESSIVE,
    Lexicon,
)
from tracker.domain.extraction.patterns import PhraseSet, phrase_set


def _terms_regex(terms: tuple[str, ...]) -> re.Pattern[str]:
    """Whole words or phrases, any case; a trailing `*` matches any ending."""
    bodies = [
        r"[\s-]+".join(re.escape(w) for w in t.rstrip("*").split())
        + (r"\w*" if t.endswith("*") else "")
        for t in terms
    ]
    return re.compile(rf"(?<!\w)(?:{'|'.join(bodies) or '(?!)'})(?!\w)", re.IGNORECASE)


@dataclass(frozen=True)
class ActorSpec:
    """Someone whose positions are tracked: a person, an institution or a country."""

    id: str
    name: str
    kind: str = "person"  # person | institution | country | group
    aliases: tuple[str, ...] = ()
    member_of: str | None = None  # the country a person or institution belongs to
    voice_of: str | None = None  # whose position an impersonal statement by this speaker is
    people: tuple[str, ...] = ()  # names of people who speak for it ("Peskov" for the Kremlin)

    def names(self) -> tuple[str, ...]:
        """Return every name the actor is found by: its aliases and its people."""
        return self.aliases + self.people


@dataclass(frozen=True)
class IssueSpec:
    """A proposition an actor can support or oppose, with the words that name it."""

    id: str
    name: str
    cues: tuple[str, ...]
    inverse_cues: tuple[str, ...] = ()  # name the opposite ("return the land" vs concessions)
    refines: str | None = None  # a narrower form of another issue (energy ceasefire of ceasefire)


@dataclass(frozen=True)
class FactSpec:
    """A key fact: a typed value read by patterns (regexes with {number}-style placeholders)."""

    key: str
    type: str  # int | fraction | minutes | date | enum
    patterns: tuple[str, ...] = ()
    values: dict[str, tuple[str, ...]] = field(default_factory=dict)  # enum value -> patterns
    context: tuple[str, ...] = ()  # one of these must be in the sentence
    name: str = ""  # as alerts show it ("Ceasefire duration (days)")
    # structural rules (facts.py): what kind of value, tied to what, within how many words
    rule: str = ""  # "" (patterns only) | duration | count | share | date | scope
    unit: str = ""  # duration: the unit the value is given in (day, minute)
    anchors: tuple[str, ...] = ()  # cue phrases the value must be tied to in its clause
    window: int = 6  # words between a value and its anchor (count: modifiers before the noun)
    requires: tuple[tuple[str, ...], ...] = ()  # each group: one phrase of it in the clause
    qualifiers: tuple[tuple[str, ...], ...] = ()  # count: a bare count needs these too
    pairs: bool = False  # count: "N for N" / "N-for-N" is the value without a noun
    not_before: tuple[str, ...] = ()  # a value right after one of these is about something else
    not_after: tuple[str, ...] = ()  # ... right before one of these ("50-day deadline")
    blocks: tuple[str, ...] = ()  # a clause naming one of these is about another thing
    document_context: bool = False  # `context` may be anywhere in the document
    verbs: tuple[str, ...] = ()  # scope: verbs of stopping ("halt", "refrain from")
    objects: tuple[str, ...] = ()  # scope: what they stop ("strikes", "the use of force")
    terms: dict[str, tuple[str, ...]] = field(default_factory=dict)  # scope value -> phrases
    before_only: tuple[str, ...] = ()  # scope phrases that only modify a noun they precede


@dataclass(frozen=True)
class Vocabulary:
    """Everything topic-specific the extractor uses."""

    topic: str
    actors: tuple[ActorSpec, ...]
    issues: tuple[IssueSpec, ...]
    facts: tuple[FactSpec, ...] = ()
    lexicon: Lexicon = field(default_factory=Lexicon)
    # phrases naming several actors at once -> "persons" (the leaders) or "countries" (the sides)
    collectives: dict[str, str] = field(default_factory=dict)
    # a word's lemma ("swapped" -> "swap"): a port, filled in by the configuration's loader
    lemma: Callable[[str], str] = field(default=str.lower, compare=False, repr=False)
    anchors: tuple[str, ...] = ()  # terms that place a sentence in this topic ("Ukrain*")
    elsewhere: tuple[str, ...] = ()  # terms that place it in another story ("Gaza")

    def actor(self, actor_id: str) -> ActorSpec | None:
        """Return an actor by id."""
        return next((a for a in self.actors if a.id == actor_id), None)

    @cached_property
    def actor_names(self) -> PhraseSet:
        """Aliases of every actor; proper names match as written (so "US" is not "us")."""

        def variants(alias: str) -> list[str]:  # "the Kremlin leader" opens a sentence as "The ..."
            return [alias, "The" + alias[3:]] if alias.startswith("the ") else [alias]

        return PhraseSet(
            ((a.id, v) for a in self.actors for alias in a.names() for v in variants(alias)),
            case_sensitive=True,
        )

    @cached_property
    def person_names(self) -> frozenset[str]:
        """The names that name a person: a person's aliases, and an institution's people."""
        names = [n for a in self.actors if a.kind == "person" for n in a.aliases]
        names += [n for a in self.actors for n in a.people]
        return frozenset(names + ["The" + n[3:] for n in names if n.startswith("the ")])

    @cached_property
    def pronouns(self) -> PhraseSet:
        """First- and third-person pronouns."""
        groups = {
            "first": FIRST_PERSON,
            "first_poss": FIRST_POSSESSIVE,
            "third": THIRD_PERSON,
            "third_poss": THIRD_POSSESSIVE,
        }
        return PhraseSet(
            ((k, p) for k, words in groups.items() for p in words), case_sensitive=True
        )

    @cached_property
    def collective_names(self) -> PhraseSet:
        """Phrases that name several actors ("both leaders", "the two countries")."""
        return PhraseSet((kind, phrase) for phrase, kind in self.collectives.items())

    @cached_property
    def issue_cues(self) -> PhraseSet:
        """Cue phrases of every issue, labelled `issue` or `issue!` for inverse cues."""
        return PhraseSet(
            [(i.id, c) for i in self.issues for c in i.cues]
            + [(i.id + "!", c) for i in self.issues for c in i.inverse_cues],
            plurals=True,
        )

    @cached_property
    def cues(self) -> PhraseSet:
        """Stance, speech, neutral and conditional cue phrases, labelled by kind."""
        lex = self.lexicon
        groups = {
            "supports": lex.supports,
            "opposes": lex.opposes,
            "reporting": lex.reporting,
            "neutral": lex.neutral,
            "proposal": lex.proposal_nouns,
        }
        return PhraseSet((label, p) for label, phrases in groups.items() for p in phrases)

    @cached_property
    def conditional(self) -> PhraseSet:
        """Phrases that make support conditional."""
        return phrase_set("conditional", self.lexicon.conditional)

    @cached_property
    def reciprocal(self) -> PhraseSet:
        """Phrases of mere reciprocity (support stays support)."""
        return phrase_set("reciprocal", self.lexicon.reciprocal)

    @cached_property
    def negation(self) -> re.Pattern[str]:
        """Negation words."""
        words = "|".join(re.escape(w) for w in self.lexicon.negation)
        return re.compile(rf"(?<!\w)(?:{words})(?!\w)|n't", re.IGNORECASE)

    @cached_property
    def verdicts(self) -> PhraseSet:
        """Verdicts against an issue said after it ("... would only prolong the war")."""
        return PhraseSet(
            [("opposes", p) for p in self.lexicon.verdicts_against]
            + [("supports", p) for p in self.lexicon.verdicts_for]
        )

    @cached_property
    def causative(self) -> PhraseSet:
        """Verbs that make their object's next verb someone else's wish."""
        return phrase_set("causative", self.lexicon.causative)

    @cached_property
    def anaphora(self) -> PhraseSet:
        """Phrases referring back to the last issue."""
        return phrase_set("anaphora", self.lexicon.issue_anaphora)

    @cached_property
    def anchor_terms(self) -> re.Pattern[str]:
        """The topic's own terms (one regex: a few dozen names, searched in every sentence)."""
        return _terms_regex(self.anchors)

    @cached_property
    def elsewhere_terms(self) -> re.Pattern[str]:
        """Names of other stories."""
        return _terms_regex(self.elsewhere)

    def about_elsewhere(self, text: str) -> bool:
        """Whether a sentence is about another story: it names one, and nothing of this one."""
        if not self.elsewhere:
            return False
        return bool(self.elsewhere_terms.search(text)) and not self.anchor_terms.search(text)

    def speaker_actor(self, speaker: str) -> ActorSpec | None:
        """Return the actor a document's `speaker:` line names (first alias found)."""
        found = self.actor_names.search(speaker)
        return self.actor(found.label) if found else None
