"""Apply one claim to a topic's state: decide its outcome, record it, move the state, and
build the event it raises (held for review when an editor must see it first).

A story counts once: a copy of a story that already made a claim on the same position or
fact only confirms (uncounted) or is noted. An actor's own words outrank a report about
them (`tracker.domain.state.report_contest`). A claim that would change the state but is
doubtful (`tracker.domain.review`) leaves the state alone: its event is queued as
needs_review with its deliveries held, until an editor confirms or rejects it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from tracker.domain.claims import FactClaim, PositionClaim, Stance
from tracker.domain.events import Event
from tracker.domain.review import Reason, Review, review_reasons
from tracker.domain.sources import SourceSpec
from tracker.domain.state import (
    Contest,
    FactState,
    Outcome,
    OwnWords,
    PositionState,
    fact_outcome,
    position_outcome,
    report_contest,
)
from tracker.domain.state_events import Earlier, Provenance, fact_event, position_event
from tracker.domain.statements import Observation
from tracker.services.runtime import Runtime
from tracker.storage.database import UnitOfWork
from tracker.storage.models import ClaimRow, FactRow, PositionRow, StatementRow, VersionRow
from tracker.storage.state import unwrap, wrap

_RAISES = {Outcome.NEW, Outcome.CHANGED}


@dataclass(frozen=True)
class NewText:
    """A statement version whose text has not been read for claims yet."""

    statement: StatementRow
    version: VersionRow
    obs: Observation
    source: SourceSpec
    stated_at: datetime
    silent: bool = False  # archive read on a source's first poll: state, but no events

    @property
    def story(self) -> int:
        """The story cluster the statement belongs to (its own id when it has none)."""
        return self.statement.cluster_id or self.statement.id

    @property
    def copy(self) -> bool:
        """Whether the statement is another outlet's copy of a story (not the story's first
        statement, whose own edits are news)."""
        return self.story != self.statement.id


def own_words(runtime: Runtime, topic: str, source: SourceSpec, actor: str) -> bool:
    """Whether a source speaks for `actor` (its speaker is the actor, or speaks for them)."""
    vocab = runtime.vocabularies.get(topic)
    speaker = vocab.speaker_actor(source.speaker) if vocab and source.speaker else None
    return speaker is not None and actor in {speaker.id, speaker.voice_of}


def claim_row(
    topic: str, item: NewText, now: datetime, claim: PositionClaim | FactClaim, outcome: Outcome
) -> ClaimRow:
    """Return the row that records a claim and what it did."""
    common: dict[str, Any] = {
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
        "story_id": item.story,
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
            own_words=False,
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
        own_words=False,
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


def fact_name(runtime: Runtime, topic: str, key: str) -> str:
    """Return a fact's name as alerts show it."""
    spec = next((f for f in runtime.vocabularies[topic].facts if f.key == key), None)
    return spec.name if spec and spec.name else key


def later(row: PositionRow | FactRow, stated_at: datetime, source_id: str, claim: ClaimRow) -> None:
    """A confirmation stated later than the state becomes its latest word (so a late-arriving
    older statement is judged against it), and counts once per story."""
    if claim.story_id != row.claim.story_id:
        row.confirmations += 1
    if stated_at >= row.stated_at:
        row.stated_at, row.source_id, row.claim = stated_at, source_id, claim


@dataclass(frozen=True)
class Judged:
    """What a claim does: its outcome, and why."""

    outcome: Outcome
    copy: bool = False  # another copy of its story already made a claim on this
    contested: bool = False  # a report against the actor's own (older) words: an editor decides
    own: bool = False  # in the actor's own words


def _copy(outcome: Outcome) -> Judged:
    """A copy of a story already counted: agreeing, it confirms (uncounted); else it is noted."""
    return Judged(Outcome.CONFIRMED if outcome is Outcome.CONFIRMED else Outcome.NOTED, copy=True)


def _reasons(runtime: Runtime, topic: str, judged: Judged, confidence: float) -> tuple[Reason, ...]:
    if judged.outcome not in _RAISES:
        return ()
    policy = runtime.review(topic)
    return review_reasons(policy, confidence, contradicts_own_words=judged.contested)


def _mark_held(row: ClaimRow, reasons: tuple[Reason, ...]) -> None:
    row.review, row.review_reasons = Review.NEEDS_REVIEW.value, [r.value for r in reasons]


def _held(event: Event, reasons: tuple[Reason, ...]) -> Event:
    """The event of a claim held for review: queued as needs_review, its deliveries held."""
    review = {"status": Review.NEEDS_REVIEW.value, "reasons": [r.value for r in reasons]}
    return replace(event, data={**event.data, "review": review}, held=True)


def _judge_position(
    uow: UnitOfWork, runtime: Runtime, topic: str, item: NewText, claim: PositionClaim
) -> Judged:
    row = uow.state.position(topic, claim.actor, claim.issue)
    current = (
        PositionState(Stance(row.stance), tuple(row.conditions), row.stated_at, row.source_id)
        if row
        else None
    )
    outcome = position_outcome(current, claim.stance, item.stated_at)
    own = own_words(runtime, topic, item.source, claim.actor)
    if (
        outcome is not Outcome.STALE
        and item.copy
        and uow.state.story_claim(
            topic, item.story, item.statement.id, subject=(claim.actor, claim.issue)
        )
    ):
        return replace(_copy(outcome), own=own)
    if outcome is not Outcome.CHANGED or own:
        return Judged(outcome, own=own)
    latest = uow.state.own_latest(topic, claim.actor, claim.issue)
    said = OwnWords(Stance(latest.stance), latest.stated_at) if latest and latest.stance else None
    window: timedelta = runtime.review(topic).own_words_window
    contest = report_contest(said, claim.stance, item.stated_at, window)
    if contest is Contest.NOTED:
        return Judged(Outcome.NOTED)  # a report cannot overturn what they just said themselves
    return Judged(outcome, contested=contest is Contest.REVIEW)


def apply_position(
    uow: UnitOfWork,
    runtime: Runtime,
    topic: str,
    item: NewText,
    claim: PositionClaim,
    now: datetime,
) -> Event | None:
    """Apply a position claim; return the event it raises, if any."""
    judged = _judge_position(uow, runtime, topic, item, claim)
    reasons = _reasons(runtime, topic, judged, claim.confidence)
    if reasons and item.silent:  # an archive's doubtful claim: nobody will review it
        judged, reasons = Judged(Outcome.NOTED, own=judged.own), ()
    outcome = judged.outcome
    row = uow.state.position(topic, claim.actor, claim.issue)
    record = uow.state.add_claim(claim_row(topic, item, now, claim, outcome))
    record.own_words = judged.own
    if outcome is Outcome.CONFIRMED and row is not None and not judged.copy:
        if claim.conditions and item.stated_at >= row.stated_at:
            row.conditions = list(claim.conditions)  # the conditions as last stated
        later(row, item.stated_at, item.source.id, record)
        return None
    if outcome not in _RAISES:
        return None
    earlier = (
        Earlier(row.stance, row.stated_at, row.source_id, tuple(row.conditions)) if row else None
    )
    if reasons:
        _mark_held(record, reasons)
    else:
        set_position(uow, row, record, now)
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
    return _raised(event, record, reasons)


def _raised(event: Event, record: ClaimRow, reasons: tuple[Reason, ...]) -> Event:
    """The claim's event, held for review when there are reasons to, linked to the claim."""
    event = _held(event, reasons) if reasons else event
    record.event_id = event.id
    return event


def set_position(uow: UnitOfWork, row: PositionRow | None, claim: ClaimRow, now: datetime) -> None:
    """Make a claim the actor's stance (a new position row, or the changed one)."""
    if row is None:
        uow.state.set_position(
            PositionRow(
                topic=claim.topic,
                actor=claim.actor or "",
                issue=claim.issue or "",
                stance=claim.stance or "",
                conditions=list(claim.conditions),
                stated_at=claim.stated_at,
                source_id=claim.source_id,
                claim=claim,
                confirmations=0,
                updated_at=now,
            )
        )
        return
    row.stance, row.conditions, row.stated_at = (
        claim.stance or "",
        list(claim.conditions),
        claim.stated_at,
    )
    row.source_id, row.claim, row.confirmations, row.updated_at = claim.source_id, claim, 0, now


def _judge_fact(
    uow: UnitOfWork, runtime: Runtime, topic: str, item: NewText, claim: FactClaim
) -> Judged:
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
    if (
        outcome is not Outcome.STALE
        and item.copy
        and uow.state.story_claim(topic, item.story, item.statement.id, subject=claim.key)
    ):
        return _copy(outcome)
    if outcome is Outcome.DISPUTED and claim.confidence < runtime.review(topic).min_confidence:
        return Judged(Outcome.NOTED)  # a doubtful reading cannot put a fact in dispute
    return Judged(outcome)


def apply_fact(
    uow: UnitOfWork, runtime: Runtime, topic: str, item: NewText, claim: FactClaim, now: datetime
) -> Event | None:
    """Apply a fact claim; return the event it raises, if any."""
    judged = _judge_fact(uow, runtime, topic, item, claim)
    reasons = _reasons(runtime, topic, judged, claim.confidence)
    if reasons and item.silent:
        judged, reasons = Judged(Outcome.NOTED), ()
    outcome = judged.outcome
    row = uow.state.fact(topic, claim.key)
    record = uow.state.add_claim(claim_row(topic, item, now, claim, outcome))
    earlier = Earlier(unwrap(row.value), row.stated_at, row.source_id) if row is not None else None
    if outcome is Outcome.CONFIRMED and row is not None and not judged.copy:
        if row.disputed and item.source.id != row.source_id:
            row.disputed, row.updated_at = False, now  # another source backs the value: settled
        later(row, item.stated_at, item.source.id, record)
        return None
    if outcome not in {*_RAISES, Outcome.DISPUTED}:
        return None
    if outcome is Outcome.DISPUTED:
        if row is None or row.disputed:
            return None  # already in dispute: one event per dispute, not one per claim
        row.disputed, row.updated_at = True, now  # the value stands until a later one settles it
    elif reasons:
        _mark_held(record, reasons)
    else:
        set_fact(uow, row, record, now)
    if item.silent:
        return None
    event = fact_event(
        f"fact.{outcome.value}",
        topic=topic,
        claim=claim,
        name=fact_name(runtime, topic, claim.key),
        where=_where(item),
        now=now,
        earlier=earlier,
    )
    return _raised(event, record, reasons)


def set_fact(uow: UnitOfWork, row: FactRow | None, claim: ClaimRow, now: datetime) -> None:
    """Make a claim the fact's value (a new fact row, or the changed one)."""
    if row is None:
        uow.state.set_fact(
            FactRow(
                topic=claim.topic,
                key=claim.key or "",
                value=dict(claim.value),
                stated_at=claim.stated_at,
                source_id=claim.source_id,
                claim=claim,
                disputed=False,
                confirmations=0,
                updated_at=now,
            )
        )
        return
    row.value, row.stated_at, row.source_id = dict(claim.value), claim.stated_at, claim.source_id
    row.claim, row.disputed, row.confirmations, row.updated_at = claim, False, 0, now
