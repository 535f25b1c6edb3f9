"""The state of a topic as people read it: positions and facts, with history and sources."""

from __future__ import annotations

from typing import Any

from tracker.storage.database import UnitOfWork
from tracker.storage.models import ClaimRow
from tracker.storage.state import unwrap


def _history(claims: list[ClaimRow], value_of: str) -> list[dict[str, Any]]:
    return [
        {
            "value": c.stance if value_of == "stance" else unwrap(c.value),
            "stated_at": c.stated_at.isoformat(),
            "source": c.source_id,
            "statement_id": c.statement_id,
            "outcome": c.outcome,
            "sentence": c.sentence,
        }
        for c in claims
    ]


def topic_state(uow: UnitOfWork, topic: str | None = None) -> dict[str, list[dict[str, Any]]]:
    """Return current positions and facts, each with its sources and its history of claims."""
    positions = []
    for row in uow.state.positions(topic):
        claims = uow.state.claims(row.topic, actor=row.actor, issue=row.issue)
        backing = sorted({c.source_id for c in claims if c.stance == row.stance})
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
        backing = sorted({c.source_id for c in claims if unwrap(c.value) == value})
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
