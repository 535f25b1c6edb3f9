"""Read claims from new statement versions and apply them to the topic state (in the poll's
transaction, through the same outbox as every other event)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from tracker.domain.claims import Extraction, FactClaim, FactValue, PositionClaim
from tracker.domain.events import Event
from tracker.domain.extraction.document import Document
from tracker.domain.sources import SourceSpec
from tracker.domain.state import (
    FactState,
    Outcome,
    PositionState,
    fact_outcome,
    position_outcome,
    same_value,
)
from tracker.domain.state_events import Earlier, Provenance, fact_event, position_event
from tracker.domain.statements import Observation
from tracker.domain.topics import relevant_topics
from tracker.services.outcomes import Outcome as PollOutcome
from tracker.services.outcomes import Parsed
from tracker.services.runtime import Runtime
from tracker.storage.database import UnitOfWork
from tracker.storage.models import ClaimRow, FactRow, PositionRow, StatementRow, VersionRow
from tracker.storage.state import unwrap, wrap

log = structlog.get_logger(__name__)

# (topic, fingerprint) -> the claims a remote extractor read before the transaction opened
Prepared = Mapping[tuple[str, str], Extraction]


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


def _later(row: PositionRow | FactRow, item: NewText, claim_row: ClaimRow) -> None:
    """A confirmation stated later than the state becomes its latest word (so a late-arriving
    older statement is judged against it), and counts once per statement."""
    if claim_row.statement_id != row.claim.statement_id:
        row.confirmations += 1
    if item.stated_at >= row.stated_at:
        row.stated_at, row.source_id, row.claim = item.stated_at, item.source.id, claim_row


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
        if claim.conditions and item.stated_at >= row.stated_at:
            row.conditions = list(claim.conditions)  # the conditions as last stated
        _later(row, item, claim_row)
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
                claim=claim_row,
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
        row.source_id, row.claim, row.confirmations, row.updated_at = (
            item.source.id,
            claim_row,
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
        credible=item.source.credible,
        current_credible=runtime.credible(row.source_id) if row is not None else True,
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
                claim=claim_row,
                disputed=False,
                confirmations=0,
                updated_at=now,
            )
        )
    elif outcome is Outcome.CONFIRMED:
        if row.disputed and item.source.id != row.source_id:
            row.disputed, row.updated_at = False, now  # another source backs the value: settled
        _later(row, item, claim_row)
        return None
    elif outcome in {Outcome.STALE, Outcome.NOTED}:
        return None
    elif outcome is Outcome.DISPUTED:
        if row.disputed:
            return None  # already in dispute: one event per dispute, not one per claim
        row.disputed, row.updated_at = True, now  # the value stands until a later one settles it
    else:
        row.value, row.stated_at, row.source_id = wrap(claim.value), item.stated_at, item.source.id
        row.claim, row.disputed, row.confirmations, row.updated_at = claim_row, False, 0, now
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


def _lead_facts(
    facts: list[FactClaim], current: Callable[[str], FactValue | None]
) -> list[FactClaim]:
    """A document states one value per fact: the current value when it names that one among
    others (naming a second ceasefire beside the agreed one does not overturn it), otherwise
    the first it names. The others are kept as claims."""
    named: dict[str, list[FactClaim]] = {}
    for fact in facts:
        named.setdefault(fact.key, []).append(fact)
    lead = []
    for key, claims in named.items():
        value = current(key) if len(claims) > 1 else None
        same = [c for c in claims if value is not None and same_value(c.value, value)]
        lead.append(same[0] if same else claims[0])
    return lead


def document_of(item: NewText) -> Document:
    """Return the document a new text is read as."""
    return Document(
        id=f"statement:{item.statement.id}:{item.version.seq}",
        text=item.obs.text,
        title=item.obs.title,
        speaker=item.source.speaker or "",
        source=item.source.id,
        url=item.obs.url or "",
        published=item.stated_at.date(),
    )


def _read(runtime: Runtime, topic: str, item: NewText, prepared: Prepared) -> Extraction | None:
    """Read a text's claims: what was read before the transaction (a remote model), or the
    local rules. A document the extractor chokes on keeps its statement and loses its claims."""
    document = document_of(item)
    ready = prepared.get((topic, item.obs.fingerprint))
    if ready is not None:
        return ready.bound_to(document.id)
    extractor = runtime.extractors.get(topic)
    if extractor is None:
        return None
    try:
        return extractor.extract(document)
    except Exception:  # an extractor bug must cost this document's claims, nothing more
        log.exception("claim extraction failed", statement_id=item.statement.id, topic=topic)
        return None


def claim_events(
    uow: UnitOfWork,
    runtime: Runtime,
    texts: list[NewText],
    now: datetime,
    prepared: Prepared | None = None,
) -> list[Event]:
    """Read every new text's claims, then apply them to the state in statement-time order.

    The caller has locked the topics (`lock_topics`), in one order for every worker."""
    readings: list[tuple[str, NewText, Extraction]] = []
    for item in sorted(texts, key=lambda t: (t.stated_at, t.statement.id)):
        for topic in item.statement.topics:
            extraction = _read(runtime, topic, item, prepared or {})
            if extraction is not None:
                readings.append((topic, item, extraction))
    events: list[Event] = []
    for topic, item, extraction in readings:
        for position in extraction.positions:
            events += [e for e in [_apply_position(uow, runtime, topic, item, position, now)] if e]

        def current(key: str, topic: str = topic) -> FactValue | None:
            row = uow.state.fact(topic, key)
            return unwrap(row.value) if row is not None else None

        lead = {id(f) for f in _lead_facts(extraction.facts, current)}
        for fact in extraction.facts:
            if id(fact) in lead:
                events += [e for e in [_apply_fact(uow, runtime, topic, item, fact, now)] if e]
            else:
                # named beside the document's lead value: kept as provenance, state untouched
                uow.state.add_claim(_claim_row(topic, item, now, fact, Outcome.NOTED))
    return events


def unread(
    uow: UnitOfWork, runtime: Runtime, outcomes: Sequence[PollOutcome], now: datetime
) -> list[tuple[str, str, Document]]:
    """Return the (topic, fingerprint, document) of each text a batch will store that a remote
    extractor of its topic has not read yet."""
    pending: list[tuple[str, str, Document]] = []
    for outcome in outcomes:
        spec = runtime.source_map.get(outcome.source_id)
        if not isinstance(outcome, Parsed) or spec is None:
            continue
        topics = [t for t in runtime.topics_for(list(spec.topics)) if t.id in runtime.readers]
        if not topics:
            continue
        stored = uow.statements.stored(spec.id, [o.key_digest for o in outcome.observations])
        for obs in outcome.observations:
            existing = stored.get(obs.key_digest)
            if existing is not None and (
                existing.fingerprint == obs.fingerprint
                or obs.fingerprint in uow.statements.fingerprints(existing.id)
            ):
                continue  # nothing new to read
            document = Document(
                id="",
                text=obs.text,
                title=obs.title,
                speaker=spec.speaker or "",
                source=spec.id,
                url=obs.url or "",
                published=min(obs.published or now, now).date(),
            )
            pending += [
                (topic, obs.fingerprint, document)
                for topic in relevant_topics(topics, f"{obs.title}\n{obs.text}")
            ]
    return pending


def prepare(
    runtime: Runtime, pending: list[tuple[str, str, Document]], *, budget_seconds: float = 60.0
) -> dict[tuple[str, str], Extraction]:
    """Read pending texts with the topics' remote extractors (a language model) before the
    recording transaction opens, so no lock is held while the model thinks. Texts not read
    within the budget are read by the rules inside the transaction instead."""
    deadline = time.monotonic() + budget_seconds
    prepared: dict[tuple[str, str], Extraction] = {}
    for topic, fingerprint, document in pending:
        if time.monotonic() > deadline:
            log.warning("remote extraction budget spent", unread=len(pending) - len(prepared))
            break
        try:
            prepared[(topic, fingerprint)] = runtime.readers[topic].extract(document)
        except Exception:  # read by the rules in the transaction instead
            log.exception("remote extraction failed", source_id=document.source, topic=topic)
    return prepared
