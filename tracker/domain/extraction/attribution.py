"""Who holds the stance a cue expresses: its subject, the agents after a stance noun, the
reporter whose words they are, partners in an agreement, and who a closing attribution names."""

from __future__ import annotations

import re

from tracker.domain.extraction.holders import proposal_owner, subject_of
from tracker.domain.extraction.mentions import ActorMention
from tracker.domain.extraction.patterns import Match
from tracker.domain.extraction.reading import DUTY, Reading
from tracker.domain.extraction.text import Sentence

_AGREE = re.compile(r"^agree", re.IGNORECASE)


_GRATITUDE = re.compile(r"^(?:thank|grateful|gratitude)", re.IGNORECASE)


_WITH = re.compile(r"^\s*with\s+$", re.IGNORECASE)


_OBLIGATION = re.compile(rf"\b(?:{DUTY})\s+(?:\w+\s+)?$", re.IGNORECASE)


_INFINITIVE_LINK = re.compile(r"^\s*(?:to|and)\s+$", re.IGNORECASE)


def _agreement_partners(reading: Reading, cue: Match, subjects: list[ActorMention]) -> list[str]:
    """ "agreed with Trump that ...": Trump holds it too; "we agreed": so does the other leader."""
    partners = [
        a.actors[0]
        for a in reading.actors
        if a.start >= cue.end and _WITH.match(reading.text[cue.end : a.start])
    ]
    held = {a for s in subjects for a in s.actors}
    if any(s.kind == "first" and reading.text[s.start : s.end].lower() == "we" for s in subjects):
        partners += [p for p in reading.ctx.principals if p not in held][:1]
    return partners[:1] if partners else []


def _reporter(reading: Reading, cue: Match) -> str | None:
    """The person whose speech a cue is reported in: "Zelenskiy said [Kyiv would accept]"."""
    for earlier in reversed(
        [c for c in reading.cues if c.end <= cue.start and c.label == "reporting"]
    ):
        if _BY_AFTER.match(reading.text, earlier.end):
            continue  # "the truce announced by Russia": a participle, nobody speaking
        ctx = reading.ctx
        subjects = subject_of(reading.text, reading.actors, earlier, ctx.vocab, reading.cues)
        if len(subjects) == 1 and len(subjects[0].actors) == 1 and subjects[0].person:
            return subjects[0].actors[0]
        return None
    return None


_BY_AGENT = re.compile(r"^\s+(?:from|by)\s+$", re.IGNORECASE)
_BY_AFTER = re.compile(r"\s+by\b", re.IGNORECASE)  # "the truce announced by Russia"


def _agents_after(reading: Reading, cue: Match) -> list[ActorMention]:
    """The agents a stance noun names after it: "calls from Kyiv, Washington and ...",
    "support by the United States"."""
    text = reading.text
    after = [a for a in reading.actors if a.start >= cue.end and a.kind == "name"]
    if not after or not _BY_AGENT.match(text[cue.end : after[0].start]):
        return []
    group = [after[0]]
    for mention in after[1:]:
        if not re.match(r"^\s*(?:,|and|,\s*and|&)\s*$", text[group[-1].end : mention.start]):
            break
        group.append(mention)
    return group


def holders_of(reading: Reading, cue: Match) -> list[str]:
    """Return who holds the stance a cue expresses."""
    if cue.start in reading.holders:
        return reading.holders[cue.start]
    text = reading.text
    mentions = proposal_owner(text, reading.actors, cue) if cue.label == "proposal" else []
    if cue.label != "proposal":
        mentions = subject_of(text, reading.actors, cue, reading.ctx.vocab, reading.cues)
    agents = _agents_after(reading, cue)
    if agents:
        mentions = agents  # "repeated calls from Kyiv and Washington for a truce"
    names = [a for m in mentions for a in m.actors]
    reporter = _reporter(reading, cue) if cue.label != "reporting" else None
    if mentions and _OBLIGATION.search(text[mentions[-1].end : cue.start]):
        names = (
            [reporter] if reporter else reading.default_holder()
        )  # "X should agree" is not X agreeing
    elif mentions and _AGREE.match(cue.text):
        names += _agreement_partners(reading, cue, mentions)
    if _GRATITUDE.match(cue.text):  # "thanked Trump for pushing for a swap": Trump's too
        names += [a for m in reading.actors if cue.start < m.start < cue.end for a in m.actors]
    if not names and cue.label != "proposal":
        # "America's willingness to restore ...": an infinitive inherits its governor's holder
        earlier = [
            c
            for c in reading.cues
            if c.end <= cue.start and _INFINITIVE_LINK.match(text[c.end : cue.start])
        ]
        names = holders_of(reading, earlier[-1]) if earlier else reading.default_holder()
    reading.subject_ends[cue.start] = mentions[-1].end if mentions else cue.start
    reading.named[cue.start] = bool(mentions) and all(m.named for m in mentions)
    reading.holders[cue.start] = [reading.own(a, reporter) for a in names]
    return reading.holders[cue.start]


_ACCORDING = re.compile(r"\baccording to\s+(?:(?:the|a)\s+)?", re.IGNORECASE)


# what may stand between "according to" and a name: titles ("President", "Kremlin spokesman")
_TITLES = re.compile(
    r"^(?:(?:[A-Z][\w.\u2019'-]*|spokes\w+|aide|adviser|envoy|minister|secretary|"
    r"press secretary|foreign policy)\s+){0,4}$"
)


def attributed_person(
    sentence: Sentence, actors: list[ActorMention], cues: list[Match]
) -> str | None:
    """ "Russia will not negotiate, Peskov said." / "..., said Peskov" / "according to
    Peskov": the person named."""
    text = sentence.text
    for according in _ACCORDING.finditer(text):
        named = [
            a
            for a in actors
            if a.person
            and len(a.actors) == 1
            and a.start >= according.end()
            and _TITLES.match(text[according.end() : a.start])
        ]
        if named:
            return named[0].actors[0]
    for cue in reversed([c for c in cues if c.label == "reporting"]):
        comma = text.rfind(",", 0, cue.start)
        if comma < 0 or len(text[cue.end :].split()) > 12:
            return None
        near = [
            a
            for a in actors
            if a.person and len(a.actors) == 1 and comma < a.start and a.end <= cue.end + 40
        ]
        return near[0].actors[0] if near else None
    return None
