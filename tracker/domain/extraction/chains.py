"""Chains of stance verbs, each governing the next ("refused to accept a truce"), composed
outermost first."""

from __future__ import annotations

import re

from tracker.domain.claims import Stance
from tracker.domain.extraction.attribution import holders_of
from tracker.domain.extraction.mentions import IssueMention
from tracker.domain.extraction.patterns import Match
from tracker.domain.extraction.reading import FLIP, STANCE_OF_CUE, Draft, Reading, irrealis, negated

# What ends the reach of a stance verb over what follows it: another clause begins.
_CLAUSE_BREAK = re.compile(
    r"[;:\u2014]|\b(?:but|while|whereas|because|although|though|which|who|whom|after|before|"
    r"when|since|unless|if|whether|until|due to|because of|owing to|amid)\b|,\s*(?:and|or|as)\b",
    re.IGNORECASE,
)


_CHAIN_GAP_WORDS = 12


STANCE_LABELS = frozenset({"supports", "opposes", "proposal"})


def _links(reading: Reading, outer: Match, inner: Match) -> bool:
    """Whether `inner` stands inside what `outer` governs ("refused [to accept a truce]",
    "agreed [to develop measures for implementing X's agreement to ...]")."""
    between = reading.text[outer.end : inner.start]
    return len(between.split()) <= _CHAIN_GAP_WORDS and not _CLAUSE_BREAK.search(between)


def chain(reading: Reading, nearest: Match, mention: IssueMention) -> list[Match]:
    """The stance verbs that govern an issue, outermost first: each governs the next."""
    chain = [nearest]
    for cue in reversed([c for c in reading.cues if c.end <= nearest.start]):
        if cue.label not in STANCE_LABELS or irrealis(reading, cue, mention):
            break
        if not _links(reading, cue, chain[-1]):
            break
        chain.append(cue)
    return chain[::-1]


def _level_polarity(reading: Reading, cue: Match, start: int, end: int) -> Stance:
    base = STANCE_OF_CUE[cue.label]
    subject_end = reading.subject_ends.get(cue.start, max(0, cue.start - 25))
    return FLIP[base] if negated(reading, max(start, subject_end), end) else base


def compose(outer: Stance, inner: Stance) -> Stance:
    """Rejecting support is opposing; supporting opposition is opposing; and so on."""
    if outer is Stance.OPPOSES:
        return FLIP[inner] if inner is not Stance.CONDITIONAL else Stance.OPPOSES
    return inner


def chain_claims(reading: Reading, chain: list[Match], mention: IssueMention) -> list[Draft]:
    """Each holder takes the stance of the outermost verb they are the subject of."""
    for cue in chain:
        holders_of(reading, cue)  # fills in each cue's subject, which negation scope needs
    polarities = [
        _level_polarity(
            reading,
            cue,
            chain[i - 1].end if i else 0,
            chain[i + 1].start if i + 1 < len(chain) else mention.start,
        )
        for i, cue in enumerate(chain)
    ]
    stances = list(polarities)
    for i in range(len(chain) - 2, -1, -1):
        stances[i] = compose(polarities[i], stances[i + 1])
    taken: dict[str, tuple[Stance, str]] = {}
    for depth, (cue, stance) in enumerate(zip(chain, stances, strict=True)):
        named = reading.named.get(cue.start, False)
        basis = ("verb" if depth + 1 == len(chain) else "chain") if named else "inherited"
        if cue.label == "proposal":
            basis = "proposal" if named else "inherited"
        for actor in holders_of(reading, cue):
            taken.setdefault(actor, (stance, basis))
    drafts = []
    for actor, (stance, basis) in taken.items():
        said = FLIP[stance] if mention.inverse and stance is not Stance.CONDITIONAL else stance
        drafts.append(Draft(actor, mention.issue, said, reading.sentence, basis=basis))
    return drafts
