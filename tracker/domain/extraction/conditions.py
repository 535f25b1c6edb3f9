"""Conditional support: the terms a holder attaches ("only if", "but ... must first",
"X is necessary to start them"), in the sentence or the next one."""

from __future__ import annotations

import re
from dataclasses import replace

from tracker.domain.claims import Stance
from tracker.domain.extraction.attribution import holders_of
from tracker.domain.extraction.reading import IF_THEN, Draft, Reading, irrealis
from tracker.domain.extraction.text import Sentence

_WAIVED = re.compile(r"\b(?:without|no|free of)\s+(?:\w+\s+)?$", re.IGNORECASE)


_OWN_DUTY = re.compile(
    r"^but\b.*\b(?:we|I)\b", re.IGNORECASE | re.DOTALL
)  # "but we must": no demand


# Conditional cues that introduce the condition itself ("only if X", "provided that X"), as
# against those whose object is the conditioned thing ("issues related to X", "a precondition
# for X", "nuances"): an issue after the first kind is what is demanded, not what is offered.
INTRODUCES_CONDITION = re.compile(
    r"^(?:only\s+(?:if|after|when)|provided|on\s+condition|as\s+long\s+as|unless|in\s+exchange|"
    r"but\b)",
    re.IGNORECASE,
)


# "..., according to Zelenskiy on Telegram", "..., Peskov said": the attribution, no condition
_TRAILING_ATTRIBUTION = re.compile(
    r",\s*(?:according to\b.*|(?:[\w.'\u2019-]+\s+){0,6}(?:said|says|told|added|noted|stated|"
    r"wrote|stressed)\b[^,]*)$",
    re.IGNORECASE,
)


# a cue whose condition comes before it: "but a ceasefire is necessary to start them"
_CONDITION_BEFORE = re.compile(r"\b(?:is|are)?\s*necessary\b", re.IGNORECASE)


_CLAUSE_START = re.compile(r".*(?:\bbut\b|[,;:\u2013\u2014])", re.IGNORECASE | re.DOTALL)


def _conditions(rest: str) -> tuple[str, ...]:
    rest = _TRAILING_ATTRIBUTION.sub("", rest)
    rest = re.sub(r"^\W*(?:related to|concerning|regarding|about|met|that)?\s*", "", rest)
    rest = rest.strip(' .,;"\u201d')
    parts = re.split(r",\s*(?:and\s+)?|\s+and\s+(?=the\b)", rest)
    return tuple(p.strip(' .,;"\u201d') for p in parts if len(p.split()) >= 2)[:6]


def conditional(reading: Reading, drafts: list[Draft]) -> list[Draft]:
    """Make support conditional where its holder attaches conditions beyond reciprocity."""
    vocab, text = reading.ctx.vocab, reading.text
    if not drafts or not any(d.stance is Stance.SUPPORTS for d in drafts):
        return drafts  # only support becomes conditional
    found = list(vocab.conditional.finditer(text))
    if vocab.reciprocal.search(text) and all(
        c.text.lower() in {"condition", "conditions"} for c in found
    ):
        return drafts
    supposed = IF_THEN.match(text)
    if supposed and not vocab.reciprocal.search(supposed.group("condition")):
        drafts = _on_terms(drafts, (supposed.group("condition").strip(),), keep=True)
    for cue in found:
        if irrealis(reading, cue) or _OWN_DUTY.match(cue.text):
            continue  # "asked whether ... in exchange for ...": the question's, not a condition
        window = text[max(0, cue.start - 24) : cue.start]
        if _WAIVED.search(window) or vocab.negation.search(window):
            continue  # "talks without preconditions", "didn't need conditions": none
        holders = set(holders_of(reading, cue))
        necessary = _CONDITION_BEFORE.search(cue.text)
        if necessary:
            upto = cue.start + necessary.start()
            opening = _CLAUSE_START.match(text[:upto])
            start = opening.end() if opening else 0
            demanded = {m.issue for m in reading.issues if start <= m.start < upto}
            kept = [d for d in drafts if d.issue in demanded]  # the condition itself: supported
            rest = [d for d in drafts if d.issue not in demanded]
            drafts = kept + _on_terms(rest, _conditions(text[start:upto]), holders=holders)
            continue
        drafts = _on_terms(drafts, _conditions(text[cue.end :]), holders=holders)
    return drafts


def _on_terms(
    drafts: list[Draft],
    conditions: tuple[str, ...],
    *,
    holders: set[str] | None = None,
    keep: bool = False,
) -> list[Draft]:
    """Make the support of `holders` (everyone's, when none are named) conditional on
    `conditions`; `keep` leaves conditions a draft already has."""
    return [
        replace(
            d,
            stance=Stance.CONDITIONAL,
            conditions=(d.conditions or conditions) if keep else (conditions or d.conditions),
        )
        if d.stance is Stance.SUPPORTS and (not holders or d.actor in holders)
        else d
        for d in drafts
    ]


_HOWEVER = re.compile(
    r"^\W*(?:however|but)\b.*?\b(?:this|that|it|such a step|doing so)\s+(?:\w+\s+){0,2}?"
    r"(?:would|will|must|should)?\s*(?:require[sd]?|need(?:s|ed)?|depend(?:s|ed)? on)\s+"
    r"(?P<rest>.+)$",
    re.IGNORECASE | re.DOTALL,
)


def carried_conditions(sentence: Sentence, earlier: list[Draft]) -> list[Draft]:
    """ "Zelenskiy said he was ready for elections. However, he said this would require
    legislative changes": the next sentence's terms make the support it refers to
    conditional."""
    said = _HOWEVER.match(sentence.text)
    if not said or not earlier:
        return earlier
    return _on_terms(earlier, _conditions(said.group("rest")))
