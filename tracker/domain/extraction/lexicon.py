"""English cue words for stance, speech and negation: knowledge of the language, not of a topic.

Cue phrases use a small pattern language (see `patterns.compile_phrase`): words, `a|b`
alternatives, `word*` for any ending, and `...` for a gap of a few words. A topic file may
add to any of these lists.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Verbs and phrases by which a holder takes a stance toward what follows.
SUPPORTS = (
    "agree*",
    "accept*",
    "support*",
    "back*",
    "welcome*",
    "endorse*",
    "favo*r*",
    "in favo*r of",
    "propos*",
    "call* for",
    "urge*",
    "order*",
    "ready to|for",
    "readiness to|for",
    "willing*",
    "prepared to",
    "open to",
    "want*",
    "hope*",
    "seek*",
    "push* for",
    "insist* on",
    "respond* positively",
    "respond* constructively",
    "positive",
    "for it",
    "correct",
    "commit* to",
    "the need for",
    "the need to",
    "need to",
    "need for",
    "importance of",
    "wish*",
    "aim* to",
    "plan* to",
    "intend* to",
    "will begin",
    "begin|start negotiations",
    "resume*",
    "restore*",
    "lift* the pause",
    "approv*",
    "suggest*",
    "advocat*",
    "demand*",
    "move to",
    "decided to",
    "promis*",
    "put* forward",
    "tabled",
    "floated",
    "unveil*",
)
# Verbs and phrases by which a holder rejects what follows.
OPPOSES = (
    "reject*",
    "refus*",
    "oppos*",
    "rule* out",
    "against",
    "unrealistic",
    "unacceptable",
    "not up for negotiation",
    "impossible",
    "illusion*",
    "veto*",
    "block*",
    "condemn*",
    "cessation of",
    "halt to",
    "an end to",
    "stop* the|all",
    "sabotag*",
    "dismiss*",
    "paus*",
    "suspend*",
    "halted",
    "halts",
    "halting",
    "freez*",
    "cut off",
    "withh*ld*",
)
# Phrases that make support conditional on something beyond reciprocity.
CONDITIONAL = (
    "but there are nuances",
    "nuances",
    "condition*",
    "only if",
    "provided that",
    "on condition",
    "as long as",
    "in exchange for",
    "issues that we need to discuss",
    "issues related to",
    "significant issues",
    "essential points",
    "must be disclosed",
    "questions",
    "before making any final decision*",
    "key condition",
    "precondition*",
    "provided",
    "but ... must",
    "only after",
    "only when",
    "unless",
)
# Conditions that are only reciprocity ("if the other side agrees"): support stays support.
RECIPROCAL = (
    "subject to acceptance",
    "concurrent implementation",
    "reciprocity",
    "if the ... agree*",
    "mutual agreement",
    "mutually",
    "if russia agree*",
    "the other side",
)
# Verbs that report speech or belief: the holder is their subject when no stance verb is.
REPORTING = (
    "said",
    "says",
    "say",
    "told",
    "tells",
    "noted",
    "notes",
    "stated",
    "states",
    "wrote",
    "writes",
    "posted",
    "stressed",
    "emphasi*ed",
    "added",
    "declare*",
    "proclaim*",
    "hinted",
    "made it clear",
    "warned",
    "believe*",
    "think*",
    "insisted",
    "argued",
    "announce*",
    "confirmed",
    "remarked",
    "explained",
    "indicated",
    "signal*ed",
    "reiterated",
    "reaffirmed",
    "saying",
    "recogni*ing that",
    "recogni*e that",
)
# Verbs that mention an issue without taking a stance on it.
NEUTRAL = (
    "discuss*",
    "talk* about",
    "mention*",
    "raised",
    "touched upon",
    "inform*",
    "asked about",
    "spoke about",
    "reported",
    "learn*",
    "details of",
)
NEGATION = (
    "not",
    "n't",
    "never",
    "no longer",
    "no",
    "neither",
    "nor",
    "without",
    "hardly",
    "declined to",
    "declines to",
    "decline to",
    "failed to",
    "fails to",
)
# Verbs that make their object actor's next verb irrealis: "get Putin to agree" is Trump's wish.
CAUSATIVE = (
    "get",
    "gets",
    "getting",
    "convince*",
    "persuade*",
    "push*",
    "pressure*",
    "urge*",
    "ask*",
    "compel*",
    "force*",
    "want*",
    "wants",
    "press*",
    "encourage*",
)
# Nouns for a proposal; their holder is the owner ("Trump's initiative", "an offer from X").
PROPOSAL_NOUNS = ("proposal*", "initiative", "offer", "idea", "plan", "appeal")
# Words that refer back to the last issue named.
ISSUE_ANAPHORA = (
    "this proposal",
    "the proposal",
    "these proposals",
    "our proposals",
    "this initiative",
    "the initiative",
    "this idea",
    "the idea",
    "such a step",
    "this step",
    "this offer",
    "the offer",
)
# Nouns for the parts of a government: "Russia's foreign ministry said" is Russia speaking.
INSTITUTION_NOUNS = (
    "foreign ministry",
    "ministry",
    "government",
    "office",
    "delegation",
    "side",
    "spokesman",
    "spokesperson",
    "spokeswoman",
    "leadership",
    "negotiators",
    "representatives",
    "officials",
    "embassy",
    "envoy",
    "military",
    "president",
    "leader",
)
FIRST_PERSON = ("I", "we", "We")
FIRST_POSSESSIVE = ("our", "Our", "my", "My")
THIRD_PERSON = ("he", "He", "she", "She")
THIRD_POSSESSIVE = ("his", "His", "her", "Her")


@dataclass(frozen=True)
class Lexicon:
    """The cue lists the extractor uses; a topic may extend them."""

    supports: tuple[str, ...] = SUPPORTS
    opposes: tuple[str, ...] = OPPOSES
    conditional: tuple[str, ...] = CONDITIONAL
    reciprocal: tuple[str, ...] = RECIPROCAL
    reporting: tuple[str, ...] = REPORTING
    neutral: tuple[str, ...] = NEUTRAL
    negation: tuple[str, ...] = NEGATION
    causative: tuple[str, ...] = CAUSATIVE
    proposal_nouns: tuple[str, ...] = PROPOSAL_NOUNS
    issue_anaphora: tuple[str, ...] = ISSUE_ANAPHORA
    collectives: dict[str, str] = field(default_factory=dict)

    def extended(self, **extra: tuple[str, ...]) -> Lexicon:
        """Return a lexicon with `extra` phrases added to the named lists."""
        values = {name: getattr(self, name) + tuple(more) for name, more in extra.items() if more}
        return Lexicon(**{**self.__dict__, **values})
