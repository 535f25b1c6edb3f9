"""The state of a topic as people read it: positions and facts, with history and sources.

The history says why each stance or value is what it is: every claim behind it in statement
order, with its source, own words or report, story, outcome and evidence sentence."""

from __future__ import annotations

from typing import Any

from tracker.domain.review import Review
from tracker.storage.database import UnitOfWork
from tracker.storage.models import ClaimRow
from tracker.storage.state import unwrap


def outcome_of(claim: ClaimRow) -> str:
    """The outcome as people read it: a claim editors rejected, or one still awaiting them,
    says so; otherwise what it did (new, confirmed, changed, stale, noted, disputed)."""
    if claim.review == Review.NEEDS_REVIEW:
        return "needs review"
    if claim.review == Review.REJECTED:
        return "rejected"
    return claim.outcome


def _history(claims: list[ClaimRow], value_of: str) -> list[dict[str, Any]]:
    return [
        {
            "value": c.stance if value_of == "stance" else unwrap(c.value),
            "stated_at": c.stated_at.isoformat(),
            "source": c.source_id,
            "statement_id": c.statement_id,
            "story": c.story_id if c.story_id is not None else c.statement_id,
            "voice": "own words" if c.own_words else "report",
            "outcome": outcome_of(c),
            "review": c.review,
            "confidence": round(c.confidence, 2),
            "event_id": c.event_id,
            "sentence": c.sentence,
        }
        for c in claims
    ]


def _standing(claims: list[ClaimRow]) -> list[ClaimRow]:
    return [c for c in claims if c.review in {None, Review.CONFIRMED}]


def topic_state(uow: UnitOfWork, topic: str | None = None) -> dict[str, list[dict[str, Any]]]:
    """Return current positions and facts, each with its sources and its history of claims."""
    positions = []
    for row in uow.state.positions(topic):
        claims = uow.state.claims(row.topic, actor=row.actor, issue=row.issue)
        backing = sorted({c.source_id for c in _standing(claims) if c.stance == row.stance})
        positions.append(
            {
                "topic": row.topic,
                "actor": row.actor,
                "issue": row.issue,
                "stance": row.stance,
                "conditions": list(row.conditions),
                "since": row.stated_at.isoformat(),
                "source": row.source_id,  # where it was last stated
                "sources": backing,
                "confirmations": row.confirmations,
                "history": _history(claims, "stance"),
            }
        )
    facts = []
    for fact_row in uow.state.facts(topic):
        claims = uow.state.claims(fact_row.topic, key=fact_row.key)
        value = unwrap(fact_row.value)
        backing = sorted({c.source_id for c in _standing(claims) if unwrap(c.value) == value})
        facts.append(
            {
                "topic": fact_row.topic,
                "key": fact_row.key,
                "value": value,
                "since": fact_row.stated_at.isoformat(),
                "source": fact_row.source_id,
                "disputed": fact_row.disputed,
                "sources": backing,
                "confirmations": fact_row.confirmations,
                "history": _history(claims, "value"),
            }
        )
    return {"positions": positions, "facts": facts}
