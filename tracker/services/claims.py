"""Read claims from new statement versions and apply them to the topic state (in the poll's
transaction, through the same outbox as every other event)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tracker.domain.claims import FactClaim, PositionClaim
from tracker.domain.events import Event
from tracker.domain.extraction.document import Document
from tracker.domain.sources import SourceSpec
from tracker.domain.state import (
    FactState,
    Outcome,
    PositionState,
    fact_outcome,
    position_outcome,
)
from tracker.domain.state_events import Earlier, Provenance, fact_event, position_event
from tracker.domain.statements import Observation
from tracker.services.runtime import Runtime
from tracker.storage.database import UnitOfWork
from tracker.storage.models import ClaimRow, FactRow, PositionRow, StatementRow, VersionRow
from tracker.storage.state import unwrap, wrap


@dataclass(frozen=True)
class NewText:
    """A statement version whose text has not been read for claims yet."""

    statement: StatementRow
    version: VersionRow
    obs: Observation
    source: SourceSpec
    stated_at: datetime
    silent: bool = False  # archive read on a source's first poll: state, but no events


def _claim_row(
    topic: str, item: NewText, now: datetime, claim: PositionClaim | FactClaim, outcome: Outcome
) -> ClaimRow:
    common = {
        "topic": topic,
        "outcome": outcome.value,
        "statement_id": item.statement.id,
        "version_id": item.version.id,
        "source_id": item.source.id,
        "stated_at": item.stated_at,
        "sentence": claim.evidence.sentence,
        "start": claim.evidence.start,
        "end": claim.evidence.end,
        "confidence": claim.confidence,
        "created_at": now,
    }
    if isinstance(claim, PositionClaim):
        return ClaimRow(
            kind="position",
            actor=claim.actor,
            issue=claim.issue,
            stance=claim.stance.value,
            conditions=list(claim.conditions),
            key=None,
            value={},
            **common,
        )
    return ClaimRow(
        kind="fact",
        actor=None,
        issue=None,
        stance=None,
        conditions=[],
        key=claim.key,
        value=wrap(claim.value),
        **common,
    )


def _where(item: NewText) -> Provenance:
    return Provenance(
        item.source,
        item.statement.id,
        item.version.seq,
        item.obs.title,
        item.obs.url,
        item.stated_at,
    )


def _names(runtime: Runtime, topic: str, claim: PositionClaim) -> tuple[str, str]:
    vocab = runtime.vocabularies[topic]
    actor, issue = (
        vocab.actor(claim.actor),
        next((i for i in vocab.issues if i.id == claim.issue), None),
    )
    return (actor.name if actor else claim.actor, issue.name if issue else claim.issue)


def _fact_name(runtime: Runtime, topic: str, key: str) -> str:
    spec = next((f for f in runtime.vocabularies[topic].facts if f.key == key), None)
    return spec.name if spec and spec.name else key


def _apply_position(
    uow: UnitOfWork,
    runtime: Runtime,
    topic: str,
    item: NewText,
    claim: PositionClaim,
    now: datetime,
) -> Event | None:
    row = uow.state.position(topic, claim.actor, claim.issue)
    current = (
        PositionState(
            claim.stance.__class__(row.stance), tuple(row.conditions), row.stated_at, row.source_id
        )
        if row
        else None
    )
    outcome = position_outcome(current, claim.stance, item.stated_at)
    claim_row = uow.state.add_claim(_claim_row(topic, item, now, claim, outcome))
    if outcome is Outcome.CONFIRMED and row is not None:
        row.confirmations += 1
        return None
    if outcome is Outcome.STALE:
        return None
    if row is None:
        uow.state.set_position(
            PositionRow(
                topic=topic,
                actor=claim.actor,
                issue=claim.issue,
                stance=claim.stance.value,
                conditions=list(claim.conditions),
                stated_at=item.stated_at,
                source_id=item.source.id,
                claim_id=claim_row.id,
                confirmations=0,
                updated_at=now,
            )
        )
        earlier = None
    else:
        earlier = Earlier(row.stance, row.stated_at, row.source_id, tuple(row.conditions))
        row.stance, row.conditions, row.stated_at = (
            claim.stance.value,
            list(claim.conditions),
            item.stated_at,
        )
        row.source_id, row.claim_id, row.confirmations, row.updated_at = (
            item.source.id,
            claim_row.id,
            0,
            now,
        )
    if item.silent:
        return None
    event = position_event(
        f"position.{outcome.value}",
        topic=topic,
        claim=claim,
        names=_names(runtime, topic, claim),
        where=_where(item),
        now=now,
        earlier=earlier,
    )
    claim_row.event_id = event.id
    return event


def _apply_fact(
    uow: UnitOfWork, runtime: Runtime, topic: str, item: NewText, claim: FactClaim, now: datetime
) -> Event | None:
    row = uow.state.fact(topic, claim.key)
    current = (
        FactState(unwrap(row.value), row.stated_at, row.source_id, row.disputed) if row else None
    )
    outcome = fact_outcome(
        current,
        claim.value,
        item.stated_at,
        item.source.id,
        dispute_window=timedelta(seconds=runtime.dispute_window),
    )
    claim_row = uow.state.add_claim(_claim_row(topic, item, now, claim, outcome))
    earlier = Earlier(unwrap(row.value), row.stated_at, row.source_id) if row is not None else None
    if row is None:
        uow.state.set_fact(
            FactRow(
                topic=topic,
                key=claim.key,
                value=wrap(claim.value),
                stated_at=item.stated_at,
                source_id=item.source.id,
                claim_id=claim_row.id,
                disputed=False,
                confirmations=0,
                updated_at=now,
            )
        )
    elif outcome is Outcome.CONFIRMED:
        row.confirmations += 1
        return None
    elif outcome is Outcome.STALE:
        return None
    elif outcome is Outcome.DISPUTED:
        row.disputed, row.updated_at = (
            True,
            now,
        )  # the value stands until a later statement settles it
    else:
        row.value, row.stated_at, row.source_id = wrap(claim.value), item.stated_at, item.source.id
        row.claim_id, row.disputed, row.confirmations, row.updated_at = claim_row.id, False, 0, now
    if item.silent:
        return None
    event = fact_event(
        f"fact.{outcome.value}",
        topic=topic,
        claim=claim,
        name=_fact_name(runtime, topic, claim.key),
        where=_where(item),
        now=now,
        earlier=earlier,
    )
    claim_row.event_id = event.id
    return event


def _lead_facts(facts: list[FactClaim]) -> list[FactClaim]:
    """A document states one value per fact: the first it names (the others are kept as claims)."""
    seen: dict[str, FactClaim] = {}
    for fact in facts:
        seen.setdefault(fact.key, fact)
    return list(seen.values())


def claim_events(
    uow: UnitOfWork, runtime: Runtime, texts: list[NewText], now: datetime
) -> list[Event]:
    """Extract every new text's claims, in statement-time order, and apply them to the state."""
    events: list[Event] = []
    locked: set[str] = set()
    for item in sorted(texts, key=lambda t: (t.stated_at, t.statement.id)):
        for topic in item.statement.topics:
            extractor = runtime.extractors.get(topic)
            if extractor is None:
                continue
            if topic not in locked:
                uow.state.lock_topic(topic)
                locked.add(topic)
            document = Document(
                id=f"statement:{item.statement.id}:{item.version.seq}",
                text=item.obs.text,
                title=item.obs.title,
                speaker=item.source.speaker or "",
                source=item.source.id,
                url=item.obs.url or "",
                published=item.stated_at.date(),
            )
            extraction = extractor.extract(document)
            lead = {id(f) for f in _lead_facts(extraction.facts)}
            for position in extraction.positions:
                events += [
                    e for e in [_apply_position(uow, runtime, topic, item, position, now)] if e
                ]
            for fact in extraction.facts:
                if id(fact) in lead:
                    events += [e for e in [_apply_fact(uow, runtime, topic, item, fact, now)] if e]
                else:
                    # named beside the document's lead value: kept as provenance, state untouched
                    uow.state.add_claim(_claim_row(topic, item, now, fact, Outcome.CONFIRMED))
    return events
