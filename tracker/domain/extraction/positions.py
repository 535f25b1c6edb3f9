"""Positions: for each issue a sentence names, who takes which stance on it, on what terms."""

from __future__ import annotations

import re
from dataclasses import replace

from tracker.domain.claims import Stance
from tracker.domain.extraction.attribution import attributed_person, holders_of
from tracker.domain.extraction.chains import STANCE_LABELS, chain, chain_claims, compose
from tracker.domain.extraction.conditions import INTRODUCES_CONDITION, conditional
from tracker.domain.extraction.holders import (
    DocContext,
    find_actors,
    proposal_owner,
    quote_speaker,
    subject_of,
)
from tracker.domain.extraction.mentions import ActorMention, IssueMention, find_cues, find_issues
from tracker.domain.extraction.patterns import Match
from tracker.domain.extraction.reading import (
    DUTY,
    FLIP,
    IF_THEN,
    IRREALIS,
    MODAL,
    STANCE_OF_CUE,
    Draft,
    Reading,
    irrealis,
    negated,
)
from tracker.domain.extraction.text import Sentence

_TOPIC_OF = re.compile(
    r"\b(?:about|regarding|concerning|on the (?:subject|issue|question|topic) of|details of|"
    r"information on|position on|views? on|stance on)\s+(?:[\w-]+\s+){0,3}$",
    re.IGNORECASE,
)


_PERFORMATIVE = re.compile(r"^(?:announc|declar|proclaim)", re.IGNORECASE)


# Between a verb and its direct object: determiners, numbers and adjectives, no clause.
_OBJECT_GAP = re.compile(
    r"^\s*(?:(?:the\s+|an?\s+)?(?:introduction|establishment|declaration|start|beginning)\s+of\s+)?"
    r"(?:(?:an?|the|its|his|their|our|new|\S+-day|\S+-hour|[\w-]+)\s+){0,3}"
    r"[\"\u201c\u2018\u00ab']?$"  # a "ceasefire" in scare quotes is still the object
)


_COPULA = re.compile(r"^[\w\s'\u2019,-]*?\b(?:is|was|are|were|be|been)\b", re.IGNORECASE)


_IT = re.compile(r"\s+(?:it|them)\b", re.IGNORECASE)


def _post_predicate(reading: Reading, mention: IssueMention) -> Stance | None:
    """A stance said after the issue: "... was unrealistic", "... is not up for negotiation"."""
    tail = reading.text[mention.end : mention.end + 90]
    clause = re.split(r"[;.!?]", tail)[0]
    for cue in reading.ctx.vocab.cues.finditer(clause):
        if cue.label == "opposes" and _COPULA.match(clause[: cue.start]):
            return Stance.OPPOSES
    wider = re.split(r"[;.!?]|\bbut\b", reading.text[mention.end : mention.end + 160])[0]
    for verdict in reading.ctx.vocab.verdicts.finditer(wider):
        stance = Stance.OPPOSES if verdict.label == "opposes" else Stance.SUPPORTS
        negated = reading.ctx.vocab.negation.search(
            wider[max(0, verdict.start - 12) : verdict.start]
        )
        if negated and verdict.label == "opposes":
            continue  # "would not prolong": no verdict
        return FLIP[stance] if negated else stance  # "a truce would only prolong the war"
    return None


def _stance(reading: Reading, cue: Match, mention: IssueMention) -> Stance | None:
    base = STANCE_OF_CUE.get(cue.label)
    if cue.label == "reporting":
        between = reading.text[cue.end : mention.start]
        after = _post_predicate(reading, mention)
        denied = reading.ctx.vocab.negation.search(reading.text[max(0, cue.start - 14) : cue.start])
        if after is not None and denied:
            return FLIP[after]  # "does not think a ceasefire is needed"
        if after is None and _PERFORMATIVE.match(cue.text) and _OBJECT_GAP.match(between):
            return Stance.SUPPORTS  # "declared a truce": the announcement is the act
        if after is None and _TOPIC_OF.search(between):
            return None  # "has no information about the ceasefire": its topic, not a stance
        if after is None and not (
            MODAL.search(between) or reading.ctx.vocab.negation.search(between)
        ):
            return None  # "noted that he has no details about the ceasefire": no stance
        base = after or Stance.SUPPORTS
    if base is None:
        return None
    start = (
        reading.subject_ends.get(cue.start, max(0, cue.start - 25))
        if cue.label != "reporting"
        else cue.end
    )
    if negated(reading, start, mention.start):
        base = FLIP[base]
    return FLIP[base] if mention.inverse and base is not Stance.CONDITIONAL else base


def _cues_for(reading: Reading, mention: IssueMention) -> list[Match]:
    before = [
        c
        for c in reading.cues
        if c.end <= mention.start and not (c.start < mention.end and c.end > mention.start)
    ]
    supposed = IF_THEN.match(reading.text)
    if supposed and mention.start >= supposed.end():  # "If X agrees, [then] Y": not Y's verb
        before = [c for c in before if c.start >= supposed.end()]
    # "... but Ukraine's ceasefire": a new clause, out of the reach of the verbs before it
    before = [c for c in before if not _MENTION_BREAK.search(reading.text[c.end : mention.start])]
    # "rejection of a ceasefire cast a cloud over the talks": a verb's object is the first
    # issue after it, and those coordinated with it, not one further on
    before = [c for c in before if not _object_between(reading, c, mention)]
    # "the stalled negotiations": a participle describing the issue is nobody's act
    before = [c for c in before if not _attributive(reading, c, mention)]
    if before or not mention.anaphoric:
        return before
    text = reading.text
    return [
        c
        for c in reading.cues
        if c.start >= mention.end and len(text[mention.end : c.start].split()) <= 6
    ][:1]


# What may stand between two issues one verb governs: a coordination ("a truce, as well as
# talks"), or a short complement ("talks on implementing a ceasefire in the Black Sea").
_COORDINATED = re.compile(
    r"^[\s,]*(?:and|or|as well as|plus|including|&|but also|and also|nor)\b", re.IGNORECASE
)


_COMPLEMENT = re.compile(
    r"^\s*(?:on|of|for|about|regarding|concerning|over|in|to|with|toward|towards|into|at)\b",
    re.IGNORECASE,
)


_ADJUNCT = re.compile(
    r"\b(?:after|before|during|following|until|while|when|since|because|once|unless)\b",
    re.IGNORECASE,
)


_DETERMINER = re.compile(r"\b(?:the|a|an|its|their|this|that|these|those)\s+$", re.IGNORECASE)


_ATTRIBUTIVE_GAP = re.compile(r"^\s+(?:[\w-]+\s+)?$")


def _attributive(reading: Reading, cue: Match, mention: IssueMention) -> bool:
    text = reading.text
    return (
        cue.label in {"supports", "opposes"}
        and cue.text.lower().endswith("ed")
        and bool(_DETERMINER.search(text[max(0, cue.start - 8) : cue.start]))
        and bool(_ATTRIBUTIVE_GAP.match(text[cue.end : mention.start]))
    )


def _object_between(reading: Reading, cue: Match, mention: IssueMention) -> bool:
    """Whether another issue stands between a stance cue and this one, neither coordinated
    with it nor its complement ("rejection of a truce cast a cloud over the talks"); a
    reporting verb governs a whole clause, whatever it names."""
    if cue.label not in STANCE_LABELS:
        return False
    others = [
        m
        for m in reading.issues
        if cue.end <= m.start and m.end <= mention.start and m.issue != mention.issue
    ]
    if not others:
        return False
    gap = reading.text[max(m.end for m in others) : mention.start]
    if _ADJUNCT.search(gap):
        return True
    if _COORDINATED.match(gap):
        return False
    return not (_COMPLEMENT.match(gap) and len(gap.split()) <= 5)


_MENTION_BREAK = re.compile(
    r";|\b(?:but|while|whereas|then|due to|because of|owing to|as a result of|amid)\b|,\s*then\b",
    re.IGNORECASE,
)


def _owned(reading: Reading, mention: IssueMention) -> list[Draft]:
    """ "President Trump's unconditional ceasefire": the owner named before an issue holds it."""
    owners = proposal_owner(
        reading.text, reading.actors, Match("x", mention.start, mention.end, "")
    )
    owners = [m for m in owners if m.possessive(reading.text)]
    stance = Stance.OPPOSES if mention.inverse else Stance.SUPPORTS
    return [
        Draft(reading.own(a), mention.issue, stance, reading.sentence, basis="proposal")
        for m in owners
        for a in m.actors
    ]


def _uncued(reading: Reading, mention: IssueMention) -> list[Draft]:
    """An issue no stance verb governs: named by its own verb after its subject, or stated
    in a person's own words ("Ukraine will not give up its land")."""
    agentive = _agentive(reading, mention)
    if agentive:
        return agentive
    if reading.own_statement or _attributed_after(reading, mention):
        return _asserted(reading, mention)
    return []


def _issue_claims(reading: Reading, mention: IssueMention) -> list[Draft]:
    """The stance verbs that govern the issue decide, composed outermost first ("refused to
    accept" opposes); a reporting verb decides only with a modal or a negation after it."""
    drafts = _passive(reading, mention) + _owned(reading, mention)
    cues = _cues_for(reading, mention)
    if not cues:
        held = {d.actor for d in drafts}
        return drafts + [d for d in _uncued(reading, mention) if d.actor not in held]
    nearest = cues[-1]
    if nearest.label == "conditional" and INTRODUCES_CONDITION.match(nearest.text):
        return drafts  # "only if weapons supplies stop": the issue is the condition itself
    if nearest.label == "neutral" or irrealis(reading, nearest, mention):
        return drafts
    if nearest.label == "reporting":
        names = holders_of(reading, nearest)
        stance = _stance(reading, nearest, mention)
        return drafts + [
            Draft(a, mention.issue, stance, reading.sentence, basis="reported")
            for a in names
            if stance
        ]
    claims = chain_claims(reading, chain(reading, nearest, mention), mention)
    if _THAT.search(reading.text[nearest.end : mention.start]) and (
        _post_predicate(reading, mention) is Stance.OPPOSES
    ):  # "agreed that a ceasefire would not work": agreeing with a verdict against it
        claims = [replace(d, stance=compose(d.stance, Stance.OPPOSES)) for d in claims]
    return drafts + claims


_THAT = re.compile(r"\bthat\b", re.IGNORECASE)


# An issue named by its own verb ("exchanged prisoners", "will never recognise Crimea"),
# and what may stand between it and its subject: auxiliaries, negation, a few adverbs.
# The verbs that can name an issue themselves, as lemmas ("exchanged prisoners", "swapped
# POWs", "will never recognise Crimea"): English, not the topic's.
_ISSUE_VERBS = frozenset(
    "exchange swap release free halt stop cease pause lift ease give cede recognise recognize "
    "join hold negotiate withdraw hand return resume start begin sign supply send provide "
    "deliver rearm meet talk extend respect observe declare agree accept".split()
)


_FIRST_WORD = re.compile(r"[A-Za-z]+")


_AUXILIARIES = re.compile(
    r"^\s*(?:(?:will|would|shall|can|could|may|might|must|should|has|have|had|is|are|was|were|"
    r"be|been|not|never|no longer|also|again|now|then|already|finally|jointly|both|each|today|"
    r"yesterday|soon|immediately|to|do|does|did|n't|won't|cannot|can't)\s+|n't\s+)*$",
    re.IGNORECASE,
)


_HEDGES = re.compile(r"\b(?:could|may|might|can)\b", re.IGNORECASE)


def _agentive(reading: Reading, mention: IssueMention) -> list[Draft]:
    """ "Russia and Ukraine exchanged prisoners", "Kyiv will never recognise Crimea": the
    subject just before an issue named by its verb holds it (no stance verb needed)."""
    text = reading.text
    first = _FIRST_WORD.match(text, mention.start)
    if first is None or reading.ctx.vocab.lemma(first.group(0).lower()) not in _ISSUE_VERBS:
        return []
    subjects = subject_of(
        text, reading.actors, Match("x", mention.start, mention.start, ""), reading.ctx.vocab
    )
    if not subjects or not all(s.named for s in subjects):
        return []
    gap = text[subjects[-1].end : mention.start]
    if not _AUXILIARIES.match(gap) or _HEDGES.search(gap) or _irrealis_before(reading, subjects):
        return []
    negated = bool(reading.ctx.vocab.negation.search(gap))
    stance = Stance.OPPOSES if negated != mention.inverse else Stance.SUPPORTS
    return [
        Draft(reading.own(a), mention.issue, stance, reading.sentence, basis="agentive")
        for s in subjects
        for a in s.actors
    ]


def _irrealis_before(reading: Reading, subjects: list[ActorMention]) -> bool:
    return bool(IRREALIS.search(reading.text[: subjects[0].start]))


_PASSIVE = re.compile(
    r"^[^,;.]*?\b(?:is|was|were|are|has been|have been|had been|be)\s+(?:\w+ly\s+)?$", re.IGNORECASE
)


_BY = re.compile(r"^\s+by\s+(?:the\s+)?$", re.IGNORECASE)


# a participle right after the issue: "the truce proposed by", "the "truce" announced by"
_REDUCED_RELATIVE = re.compile(r"^[\"\u201d\u2019\u00bb']?\s*(?:\w+ly\s+)?$")


def _passive_cue(reading: Reading, cue: Match, mention: IssueMention) -> bool:
    """ "The truce was rejected by", "the truce proposed by", "the "Easter truce" announced by"."""
    if cue.start < mention.end:
        return False
    gap = reading.text[mention.end : cue.start]
    if cue.label in STANCE_OF_CUE and _PASSIVE.match(gap):
        return True
    performative = cue.label == "reporting" and bool(_PERFORMATIVE.match(cue.text))
    return (cue.label in STANCE_OF_CUE or performative) and bool(_REDUCED_RELATIVE.match(gap))


def _passive(reading: Reading, mention: IssueMention) -> list[Draft]:
    """ "The truce was rejected by the Kremlin": the stance follows, its holder after "by"."""
    text = reading.text
    for cue in reading.cues:
        if not _passive_cue(reading, cue, mention):
            continue
        holders = [
            a for a in reading.actors if a.start > cue.end and _BY.match(text[cue.end : a.start])
        ]
        if holders:
            stance = STANCE_OF_CUE.get(cue.label, Stance.SUPPORTS)
            stance = (
                FLIP[stance] if mention.inverse and stance is not Stance.CONDITIONAL else stance
            )
            return [
                Draft(reading.own(a), mention.issue, stance, reading.sentence, basis="passive")
                for a in holders[0].actors
            ]
        return []
    return []


def _attributed_after(reading: Reading, mention: IssueMention) -> bool:
    """ "Russia will not negotiate, Peskov said": the attribution comes after the words."""
    return any(
        c.label == "reporting"
        and c.start > mention.end
        and "," in reading.text[mention.end : c.start]
        for c in reading.cues
    )


def _untracked_speaker(reading: Reading, mention: IssueMention) -> bool:
    """ "..., British Prime Minister Keir Starmer said": words attributed to someone the topic
    does not track are nobody's position here."""
    text = reading.text
    for cue in reading.cues:
        if cue.label != "reporting" or cue.start <= mention.end:
            continue
        comma = text.rfind(",", mention.end, cue.start)
        if comma < 0:
            return False
        named = [a for a in reading.actors if comma < a.start < cue.start]
        return not named and bool(re.search(r"\b[A-Z][a-z]", text[comma : cue.start]))
    return False


def _asserted(reading: Reading, mention: IssueMention) -> list[Draft]:
    """In a person's own words, "Ukraine will not give up its land" is their position."""
    if _untracked_speaker(reading, mention):
        return []
    fake = Match("reporting", 0, 0, "")
    between = reading.text[: mention.start]
    supposed = IF_THEN.match(reading.text)
    if supposed and mention.start >= supposed.end():
        # "If Ukraine withdraws its troops, then hostilities will cease": the speaker's terms
        condition = supposed.group("condition").strip()
        reciprocal = reading.ctx.vocab.reciprocal.search(condition) is not None
        stance = Stance.SUPPORTS if reciprocal else Stance.CONDITIONAL
        conditions = () if reciprocal else (condition,)
        return [
            Draft(a, mention.issue, stance, reading.sentence, conditions, basis="supposed")
            for a in reading.default_holder()
        ]
    verdict = _post_predicate(reading, mention)
    if verdict is None and not (
        MODAL.search(between) or reading.ctx.vocab.negation.search(between)
    ):
        return []
    subjects = subject_of(
        reading.text,
        reading.actors,
        Match("x", mention.start, mention.start, ""),
        reading.ctx.vocab,
    )
    names = [reading.own(a) for s in subjects for a in s.actors] or reading.default_holder()
    asserted = _stance(reading, fake, mention)
    if asserted is None:
        return []
    if asserted is Stance.SUPPORTS and verdict is None and not _DUTY.search(between):
        return []  # "talks will start on Friday": an announcement, nobody's stance
    return [Draft(a, mention.issue, asserted, reading.sentence, basis="asserted") for a in names]


# what makes an issue said without a stance verb a demand: "Ukraine has to cede land"
_DUTY = re.compile(rf"\b(?:{DUTY})\b", re.IGNORECASE)


def _pronoun_objects(reading: Reading) -> list[IssueMention]:
    """ "support it", "I am for it": the pronoun after a stance word names the last issue."""
    mentions = []
    for cue in reading.cues:
        if cue.label in {"supports", "opposes"} and (it := _IT.match(reading.text, cue.end)):
            start = it.end() - len(it.group(0).strip())
            mentions += [
                IssueMention(start, it.end(), i, anaphoric=True) for i in reading.ctx.focus
            ]
    return mentions


def _read(sentence: Sentence, ctx: DocContext) -> Reading:
    cues = find_cues(sentence.text, ctx.vocab)
    actors = find_actors(sentence, ctx, None)
    speaker, person = quote_speaker(sentence, actors, cues, ctx)
    ctx.sentence_speakers[sentence.index] = (speaker, person)
    if speaker is not None:
        actors = find_actors(sentence, ctx, speaker)
    # "United States" is no "states": a cue inside a name is part of the name
    cues = [
        c for c in cues if not any(a.kind == "name" and a.start <= c.start < a.end for a in actors)
    ]
    return Reading(
        sentence, ctx, speaker, actors, cues, person, attributed_person(sentence, actors, cues)
    )


def _proposal(reading: Reading, issues: list[IssueMention], drafts: list[Draft]) -> list[Draft]:
    """A plan's point is its author's proposal: "Ukraine agrees that it will not join NATO"
    is the author's opposition to membership; "Ukraine will receive aid" its support."""
    author = reading.ctx.voice
    if author is None:
        return drafts
    said = {d.issue: d for d in drafts}
    for mention in issues:
        if mention.issue not in said and not mention.anaphoric:
            before = reading.text[: mention.start]
            negated = bool(reading.ctx.vocab.negation.search(before[-40:]))
            stance = Stance.OPPOSES if negated != mention.inverse else Stance.SUPPORTS
            said[mention.issue] = Draft(author, mention.issue, stance, reading.sentence)
    return [
        Draft(author, d.issue, d.stance, d.sentence, d.conditions, "plan") for d in said.values()
    ]


def sentence_positions(
    sentence: Sentence, ctx: DocContext, *, proposed: bool = False, elsewhere: bool = False
) -> list[Draft]:
    """Return the position claims of one sentence, and update the reading context; a
    `proposed` sentence (a plan's point) states its author's proposal."""
    reading = _read(sentence, ctx)
    issues = find_issues(sentence.text, ctx.vocab, ctx.focus) + _pronoun_objects(reading)
    # "the cessation of hostilities and a truce": a cue inside one issue's name is that name
    reading.cues = [c for c in reading.cues if not any(m.start <= c.start < m.end for m in issues)]
    reading.issues = issues
    drafts: list[Draft] = []
    if not sentence.question and not elsewhere:  # a question states no position
        for mention in issues:
            drafts += _issue_claims(reading, mention)
        drafts = conditional(reading, drafts)
        if proposed:
            drafts = _proposal(reading, issues, drafts)
    persons = [m.actors[0] for m in reading.actors if m.kind == "name" and m.person]
    if persons:
        ctx.last_person = persons[0]
    named = [m.issue for m in issues if not m.anaphoric]
    if named:
        ctx.focus = tuple(dict.fromkeys(named))
    return drafts
