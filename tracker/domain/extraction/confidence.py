"""A document's claims merged per actor and issue, each with a confidence fitted on the
tuning set by how it was read."""

from __future__ import annotations

from tracker.domain.claims import Evidence, PositionClaim, Stance
from tracker.domain.extraction.reading import Draft

# How often a claim read each way was right on the documents the rules were tuned on
# (published before December 2025, measured 2026-12-08; `tracker eval` prints precision per
# band on the held-apart ones): a report or a stance verb with its subject named, most; a
# holder inherited from the document, least.
BASIS_CONFIDENCE = {
    "reported": 0.85,  # 12 of 12
    "chain": 0.85,  # 33 of 38
    "verb": 0.8,  # 60 of 74
    "proposal": 0.7,  # 11 of 15
    "agentive": 0.7,  # 5 of 6
    "plan": 0.6,
    "supposed": 0.6,
    "passive": 0.5,
    "asserted": 0.5,  # 5 of 9
    "inherited": 0.4,  # 8 of 19
}


_AGREEING_BONUS = 0.1  # said again in another sentence of the document


_CONFLICT_PENALTY = 0.2  # the document also reads the opposite stance for the pair


def _confidence(chosen: Draft, group: list[Draft]) -> float:
    base = max(BASIS_CONFIDENCE.get(d.basis, 0.5) for d in group if d.stance is chosen.stance)
    agreeing = len({d.sentence.index for d in group if d.stance is chosen.stance})
    conflicting = any(d.stance is not chosen.stance for d in group)
    score = base + _AGREEING_BONUS * min(2, agreeing - 1) - _CONFLICT_PENALTY * conflicting
    return round(min(0.95, max(0.2, score)), 2)


def merge(drafts: list[Draft], document: str) -> list[PositionClaim]:
    """One claim per (actor, issue): conditional wins, then the majority; evidence is the first."""
    grouped: dict[tuple[str, str], list[Draft]] = {}
    for draft in drafts:
        grouped.setdefault((draft.actor, draft.issue), []).append(draft)
    claims = []
    for (actor, issue), group in grouped.items():
        conditional = [d for d in group if d.stance is Stance.CONDITIONAL]
        if conditional:
            chosen = conditional[0]
        else:
            counts = {
                s: sum(d.stance is s for d in group) for s in (Stance.SUPPORTS, Stance.OPPOSES)
            }
            top = max(counts.values())
            chosen = next(d for d in group if counts[d.stance] == top)  # the first said: the lead
        sentence = chosen.sentence
        evidence = Evidence(sentence.text, sentence.start, sentence.end, document)
        claims.append(
            PositionClaim(
                actor,
                issue,
                chosen.stance,
                evidence,
                chosen.conditions,
                _confidence(chosen, group),
                chosen.basis,
            )
        )
    return claims
