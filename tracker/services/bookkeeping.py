"""A poll's bookkeeping on its source: health, schedule and validators, after a success or a
failure, and the `source.failing` / `source.recovered` events it raises."""

from __future__ import annotations

from datetime import datetime

from tracker.domain import health
from tracker.domain.events import Event
from tracker.domain.sources import SourceSpec, schedule_after_success
from tracker.domain.statement_events import source_event
from tracker.services.outcomes import Unchanged
from tracker.services.runtime import Runtime
from tracker.sources.errors import SourceError
from tracker.storage.models import SourceRow
from tracker.storage.sources import Standing, UnchangedPoll


def spec_of(row: SourceRow) -> SourceSpec:
    """Return the spec a source row was synced from (without its headers: they stay in config)."""
    values = {k: v for k, v in row.spec.items() if k != "header_names"}
    values["topics"] = tuple(values.get("topics", ()))
    return SourceSpec(**values)


def configured(runtime: Runtime, row: SourceRow) -> SourceSpec:
    """Return a source's spec as configured, or as its row was synced when the configuration
    no longer has it (removed while it was being polled)."""
    return runtime.source_map.get(row.id) or spec_of(row)


def _recovered(spec: SourceSpec, failing: bool, failures: int, now: datetime) -> list[Event]:
    """Return the event a success raises: `source.recovered` if the source was failing."""
    transition = health.after_success(health.Health(failures, failing))
    if transition.event_type is None:
        return []
    return [
        source_event(transition.event_type, source=spec, now=now, failures=failures, error=None)
    ]


def succeeded(
    runtime: Runtime, row: SourceRow, now: datetime, status: str, *, busy: bool
) -> list[Event]:
    """Record a successful poll on its source: healthy again, its next poll scheduled."""
    spec = configured(runtime, row)
    events = _recovered(spec, row.failing, row.consecutive_failures, now)
    row.consecutive_failures, row.failing = 0, False
    row.current_interval, row.next_poll_at = schedule_after_success(
        now,
        interval=row.interval_seconds,
        current=row.current_interval,
        adaptive=spec.adaptive,
        busy=busy,
        first=row.last_success_at is None,
    )
    row.last_status, row.last_success_at = status, now
    return events


def _validators(outcome: Unchanged, standing: Standing) -> tuple[str | None, str | None]:
    """Return the validators to keep after an unchanged poll: a 304 need not repeat them, and
    those of a URL no longer the source's (changed in the config during the poll) are not ours."""
    if outcome.url != standing.url:
        return standing.etag, standing.last_modified
    return outcome.etag or standing.etag, outcome.last_modified or standing.last_modified


def unchanged(
    runtime: Runtime, outcome: Unchanged, standing: Standing, now: datetime
) -> tuple[UnchangedPoll, list[Event]]:
    """Record an unchanged poll as `succeeded` records it on a row, as values to write in bulk
    (with the lease released and the poll counted: see `SourceRepository.record_unchanged`)."""
    spec = runtime.source_map[standing.id]
    events = _recovered(spec, standing.failing, standing.consecutive_failures, now)
    current, next_poll_at = schedule_after_success(
        now,
        interval=standing.interval_seconds,
        current=standing.current_interval,
        adaptive=spec.adaptive,
        busy=False,
        first=standing.first_poll,
    )
    etag, last_modified = _validators(outcome, standing)
    return UnchangedPoll(standing.id, etag, last_modified, current, next_poll_at), events


def failed(runtime: Runtime, row: SourceRow, error: SourceError, now: datetime) -> list[Event]:
    """Record a failed poll on its source: one more failure, the next poll backed off."""
    transition = health.after_failure(
        health.Health(row.consecutive_failures, row.failing), runtime.failing_after
    )
    row.consecutive_failures, row.failing = (
        transition.health.consecutive_failures,
        transition.health.failing,
    )
    row.last_status, row.last_error, row.last_error_at = "error", error.reason, now
    row.next_poll_at = health.next_poll_after_failure(
        now,
        interval=row.interval_seconds,
        failures=row.consecutive_failures,
        max_backoff=runtime.max_backoff,
        retry_after=error.retry_after,
    )
    if transition.event_type is None:
        return []
    return [
        source_event(
            transition.event_type,
            source=configured(runtime, row),
            now=now,
            failures=row.consecutive_failures,
            error=error.reason,
        )
    ]
