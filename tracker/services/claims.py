"""Read claims from new statement versions and apply them to the topic state (in the poll's
transaction, through the same outbox as every other event)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

import structlog

from tracker.domain.claims import Extraction, FactClaim, FactValue
from tracker.domain.events import Event
from tracker.domain.extraction.document import Document
from tracker.domain.state import Outcome, same_value
from tracker.domain.topics import relevant_topics
from tracker.services.judging import NewText, apply_fact, apply_position, claim_row
from tracker.services.outcomes import Outcome as PollOutcome
from tracker.services.outcomes import Parsed
from tracker.services.runtime import Runtime
from tracker.storage.database import UnitOfWork
from tracker.storage.state import unwrap

log = structlog.get_logger(__name__)

__all__ = ["NewText", "Prepared", "claim_events", "prepare", "unread"]

# (topic, fingerprint) -> the claims a remote extractor read before the transaction opened
Prepared = Mapping[tuple[str, str], Extraction]


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
            events += [e for e in [apply_position(uow, runtime, topic, item, position, now)] if e]

        def current(key: str, topic: str = topic) -> FactValue | None:
            row = uow.state.fact(topic, key)
            return unwrap(row.value) if row is not None else None

        lead = {id(f) for f in _lead_facts(extraction.facts, current)}
        for fact in extraction.facts:
            if id(fact) in lead:
                events += [e for e in [apply_fact(uow, runtime, topic, item, fact, now)] if e]
            else:
                # named beside the document's lead value: kept as provenance, state untouched
                uow.state.add_claim(claim_row(topic, item, now, fact, Outcome.NOTED))
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
