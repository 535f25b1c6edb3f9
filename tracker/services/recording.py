"""Record a batch of polls in one transaction: statements, versions, events, source health,
then the claims of the batch's new texts.

Every source of the batch is recorded only if this batch still holds its lease; a source whose
records fail is rolled back to a savepoint alone and marked with the error, so one bad source
never costs the rest of the batch. Claims change a topic's state, which every worker shares:
they are applied last, all at once, so a topic is locked only from then to the commit and
batches of different workers record their statements side by side.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog

from tracker.domain.diff import words_changed
from tracker.domain.events import Event
from tracker.domain.normalise import NoiseRules
from tracker.domain.similarity import simhash
from tracker.domain.sources import SourceSpec
from tracker.domain.statement_events import statement_event
from tracker.domain.statements import Change, Observation, announcement, classify, in_backlog
from tracker.domain.topics import Topic, relevant_topics
from tracker.services.bookkeeping import configured, failed, succeeded, unchanged
from tracker.services.claims import NewText, Prepared, claim_events
from tracker.services.outbox import emit
from tracker.services.outcomes import BatchReport, Failed, Outcome, Parsed, Unchanged
from tracker.services.runtime import Runtime
from tracker.sources.errors import SourceError
from tracker.storage.database import UnitOfWork
from tracker.storage.models import SourceRow, StatementRow
from tracker.storage.sources import UnchangedPoll

log = structlog.get_logger(__name__)


Staged = tuple[list[tuple[StatementRow, Observation]], list[tuple[StatementRow, Observation]]]


def _stage(
    uow: UnitOfWork,
    row: SourceRow,
    observations: list[Observation],
    stored: dict[str, StatementRow],
    now: datetime,
) -> Staged:
    """Add a row for each never-seen item (not flushed); return the new items and the stored
    ones whose text changed, each with its row."""
    created: list[tuple[StatementRow, Observation]] = []
    edited: list[tuple[StatementRow, Observation]] = []
    for obs in observations:
        existing = stored.get(obs.key_digest)
        if existing is None:
            created.append((uow.statements.new(row.id, obs, topics=[], now=now), obs))
        elif existing.fingerprint != obs.fingerprint:
            edited.append((existing, obs))
    return created, edited


def _statement_events(
    uow: UnitOfWork,
    runtime: Runtime,
    row: SourceRow,
    observations: list[Observation],
    now: datetime,
    *,
    archive: bool = False,
    staged: Staged | None = None,
) -> tuple[list[Event], list[NewText], bool]:
    """Record a source's items; return their events, the new texts to read claims from, and
    whether anything new or edited came (a busy source, whose interval may shorten).

    `staged`: the batch staged this source's items with everyone's and flushed them (and
    flushes the versions once, at its end); otherwise this source is staged and flushed alone.
    """
    spec = configured(runtime, row)
    topics = runtime.topics_for(row.topics)
    first_poll = row.last_success_at is None
    alone = staged is None
    if staged is None:
        stored = uow.statements.stored(row.id, [o.key_digest for o in observations])
        staged = _stage(uow, row, observations, stored, now)
        uow.statements.flush()  # ids for all new statements in one round trip
    created, edited = staged
    seen = _Seen(uow, spec, topics, now, runtime.cluster_window)
    undated = sum(obs.published is None for _, obs in created)
    for statement, obs in created:
        backlog = archive or in_backlog(
            obs.published,
            now,
            first_poll=first_poll,
            max_age=runtime.backlog_max_age,
            undated=undated,
        )
        seen.observe(statement, obs, Change.NEW, backlog=backlog)
    rules = spec.noise_rules()
    for statement, obs in edited:
        seen.observe(statement, obs, _edit(uow, statement, obs, rules))
    busy = bool(created or edited)  # (a first poll is never busy: see succeeded)
    if seen.texts and alone:
        uow.statements.flush()  # version ids, which the claims refer to
    return seen.events, seen.texts, busy


def _edit(uow: UnitOfWork, statement: StatementRow, obs: Observation, rules: NoiseRules) -> Change:
    """Classify a new text of a stored statement within the source's noise rules."""
    known = uow.statements.fingerprints(statement.id)
    recent = (
        uow.statements.recent_fingerprints(statement.id, rules.flip_flop)
        if rules.flip_flop
        else None
    )
    change = classify(uow.statements.as_stored(statement), obs.fingerprint, known, recent)
    if change is Change.EDITED and rules.min_change:
        old = uow.statements.version(statement.id, statement.fingerprint)
        if old is not None:
            before = rules.compared(f"{old.title}\n{old.text}")
            after = rules.compared(f"{obs.title}\n{obs.text}")
            if words_changed(before, after) < rules.min_change:
                return Change.MINOR
    return change


@dataclass
class _Seen:
    """What a source's new items produce: statement events, and new texts to read claims from."""

    uow: UnitOfWork
    spec: SourceSpec
    topics: list[Topic]
    now: datetime
    cluster_window: float
    events: list[Event] = field(default_factory=list)
    texts: list[NewText] = field(default_factory=list)

    def observe(
        self, statement: StatementRow, obs: Observation, change: Change, *, backlog: bool = False
    ) -> None:
        """Store what changed, and note the event it raises and the text to read claims from."""
        uow, now = self.uow, self.now
        if change is Change.REVERTED:
            uow.statements.revert(statement, obs, now)
            return
        previous = None
        if change in {Change.EDITED, Change.RESTORED}:
            old = uow.statements.version(statement.id, statement.fingerprint)
            previous = (old.title, old.text, old.seq) if old else ("", "", 0)
        matched = relevant_topics(self.topics, f"{obs.title}\n{obs.text}")
        event_type = announcement(change, relevant=bool(matched), announced=statement.announced)
        restored = None
        if change is Change.RESTORED:  # its text is stored: point back at it, and say so
            uow.statements.revert(statement, obs, now)
            restored = uow.statements.version(statement.id, obs.fingerprint)
        version = restored or uow.statements.add_version(statement, obs, now)
        if event_type == "statement.edited" and not matched:
            matched = {topic: [] for topic in statement.topics}  # an edit that drops the topic
        statement.relevant, statement.topics = bool(matched), sorted(matched)
        copy = change is Change.NEW and statement.relevant and self._clustered(statement, obs)
        if statement.relevant and restored is None:  # a restored text's claims are on record
            stated_at = min(
                obs.published or now, now
            )  # statement time orders state; never the future
            self.texts.append(
                NewText(statement, version, obs, self.spec, stated_at, silent=backlog)
            )
        if event_type is None:
            return
        statement.announced = True
        if backlog or copy:
            return  # known from now on (so its edits are news), but not announced again
        self.events.append(
            statement_event(
                event_type,
                source=self.spec,
                statement_id=statement.id,
                obs=obs,
                version=version.seq,
                topics=matched,
                now=now,
                previous=previous if event_type == "statement.edited" else None,
            )
        )

    def _clustered(self, statement: StatementRow, obs: Observation) -> bool:
        """Attach a new statement to its story cluster; return whether it is a copy of a story
        another source already carried (then the story has alerted: this one does not)."""
        statement.cluster_id = statement.id
        value = simhash(f"{obs.title}\n{obs.text}")
        if value is None:
            return False
        since = self.now - timedelta(seconds=self.cluster_window)
        # The stories indexed by earlier sources of the batch must be in the database for
        # this lookup to find them (a batch flushes once, at its end, otherwise).
        self.uow.statements.flush()
        self.uow.statements.lock_clusters()
        first = self.uow.statements.near_copy(value, statement.source_id, since)
        self.uow.statements.index_text(statement, value, self.now, story=first is None)
        if first is None:
            return False
        statement.cluster_id = first.cluster_id or first.id
        return True


def _record(
    uow: UnitOfWork,
    runtime: Runtime,
    row: SourceRow,
    outcome: Outcome,
    now: datetime,
    staged: Staged | None = None,
) -> tuple[list[Event], list[NewText]]:
    if isinstance(outcome, Failed):
        return failed(runtime, row, outcome.error, now), []
    events: list[Event] = []
    texts: list[NewText] = []
    busy = False
    if isinstance(outcome, Parsed):
        events, texts, busy = _statement_events(
            uow, runtime, row, outcome.observations, now, archive=outcome.archive, staged=staged
        )
    if outcome.url != row.url:
        pass  # the URL changed in the config during the poll: its validators are not ours
    elif isinstance(outcome, Parsed):
        row.content_hash = outcome.content_hash
        row.etag, row.last_modified = outcome.etag, outcome.last_modified
    else:  # a 304 need not repeat the validators; keep the ones we have
        row.etag = outcome.etag or row.etag
        row.last_modified = outcome.last_modified or row.last_modified
    status = "ok" if isinstance(outcome, Parsed) else "unchanged"
    return events + succeeded(runtime, row, now, status, busy=busy), texts


def record_batch(
    uow: UnitOfWork,
    runtime: Runtime,
    token: str,
    outcomes: Sequence[Outcome],
    now: datetime,
    *,
    queued_by: str | None,
    prepared: Prepared | None = None,
) -> BatchReport:
    """Record each outcome whose source this batch still holds, then release the leases.

    Usually most polls of a batch are unchanged (a 304): such a poll changes only its source's
    bookkeeping, so those sources are read as plain values and written in one executemany;
    only the sources with content or an error (or no longer configured) are loaded as rows
    and recorded one by one.
    """
    # Every held source is locked at once, in id order, as other writers of sources lock them
    # (two passes in two orders could deadlock with, say, a configuration sync).
    standings = uow.sources.standings(token, [o.source_id for o in outcomes])
    bulk = {
        o.source_id
        for o in outcomes
        if isinstance(o, Unchanged) and o.source_id in runtime.source_map
    }
    rows = {row.id: row for row in uow.sources.held(token, [i for i in standings if i not in bulk])}
    report = BatchReport()
    polls: list[UnchangedPoll] = []
    held = [o for o in outcomes if o.source_id in rows]
    recorded = _record_all(uow, runtime, rows, held, now)
    texts = {source_id: found[1] for source_id, found in recorded.items()}
    for outcome in outcomes:
        standing = standings.get(outcome.source_id)
        if standing is None:
            report.lost.append(outcome.source_id)  # lease expired and was taken: theirs now
            continue
        if isinstance(outcome, Unchanged) and outcome.source_id in bulk:
            poll, events = unchanged(runtime, outcome, standing, now)
            polls.append(poll)
        else:
            row = rows[outcome.source_id]
            events = recorded[row.id][0]
            _release(row, now)
            report.failed += row.last_status == "error"
        report.events.extend(events)
        report.polled += 1
        report.unchanged += isinstance(outcome, Unchanged)
    uow.sources.record_unchanged(token, polls, now)
    report.events.extend(_claims(uow, runtime, texts, now, prepared or {}))
    deliveries = emit(uow, runtime, report.events, now, queued_by)
    uow.session.flush()
    report.delivery_ids = [d.id for d in deliveries]
    return report


def _claims(
    uow: UnitOfWork,
    runtime: Runtime,
    texts: dict[str, list[NewText]],
    now: datetime,
    prepared: Prepared,
) -> list[Event]:
    """Apply the claims of the batch's new texts, in statement-time order across its sources.

    Every topic they touch is locked first, at once and in one order for all workers (no
    deadlock), before any state is read. Should reading them fail, each source's claims are
    tried alone, so one source's bad text costs its own claims only; its statements stay
    recorded and announced, and the failure is logged.
    """
    pending = [text for source_texts in texts.values() for text in source_texts]
    if not pending:
        return []
    uow.state.lock_topics(
        topic for text in pending for topic in text.statement.topics if topic in runtime.extractors
    )
    try:
        with uow.savepoint():
            return claim_events(uow, runtime, pending, now, prepared)
    except Exception:
        log.exception("reading claims failed; trying each source alone")
    events: list[Event] = []
    for source_id, source_texts in texts.items():
        if not source_texts:
            continue
        try:
            with uow.savepoint():
                events += claim_events(uow, runtime, source_texts, now, prepared)
        except Exception:
            log.exception("reading claims failed", source_id=source_id)
    return events


def _release(row: SourceRow, now: datetime) -> None:
    """Count the poll and give back the lease."""
    row.lease_owner, row.lease_until = None, None
    row.last_polled_at, row.polls, row.updated_at = now, row.polls + 1, now


def _record_all(
    uow: UnitOfWork,
    runtime: Runtime,
    rows: dict[str, SourceRow],
    outcomes: Sequence[Outcome],
    now: datetime,
) -> dict[str, tuple[list[Event], list[NewText]]]:
    """Record the sources loaded as rows: all in one savepoint, and only if that fails, each
    in a savepoint of its own.

    A savepoint per source costs two round trips and a flush each (issue 13: 2,020 of them,
    most of a 17 s first cycle over 1,000 pages); almost every batch records cleanly, so the
    batch is tried at once, and the per-source isolation (one bad source never costs the
    rest) is paid for only by a batch that needs it.
    """
    parsed = [o for o in outcomes if isinstance(o, Parsed)]
    try:
        with uow.savepoint():
            stored = uow.statements.stored_by_source(
                {o.source_id: [obs.key_digest for obs in o.observations] for o in parsed}
            )
            staged = {
                o.source_id: _stage(
                    uow, rows[o.source_id], o.observations, stored[o.source_id], now
                )
                for o in parsed
            }
            uow.statements.flush()  # ids for every new statement of the batch in one flush
            recorded = {
                o.source_id: _record(
                    uow, runtime, rows[o.source_id], o, now, staged.get(o.source_id)
                )
                for o in outcomes
            }
            uow.statements.flush()  # every version of the batch, which the claims refer to
            return recorded
    except Exception:
        log.exception("recording the batch at once failed; recording each source alone")
    for row in rows.values():  # what the failed attempt changed in them is undone
        uow.session.refresh(row)
    return {
        o.source_id: _record_isolated(uow, runtime, rows[o.source_id], o, now) for o in outcomes
    }


def _record_isolated(
    uow: UnitOfWork,
    runtime: Runtime,
    row: SourceRow,
    outcome: Outcome,
    now: datetime,
) -> tuple[list[Event], list[NewText]]:
    if not isinstance(outcome, Parsed):
        return _record(uow, runtime, row, outcome, now)
    try:
        with uow.savepoint():
            return _record(uow, runtime, row, outcome, now)
    except Exception as exc:  # one source's bad data must not fail the batch
        log.exception("recording failed", source_id=row.id)
        uow.session.refresh(row)
        error = SourceError(f"internal error while recording: {type(exc).__name__}")
        return failed(runtime, row, error, now), []
