"""Poll a leased batch: fetch all concurrently, parse, then record everything in one transaction.

This use case owns two short transactions on purpose: one to read what the batch holds, one
to record the results. The network wait in between holds no database transaction or lock;
the lease is what keeps other workers off these sources meanwhile.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import structlog

from tracker.domain.normalise import NO_RULES, NoiseRules
from tracker.domain.sources import SourceSpec
from tracker.domain.statements import Observation
from tracker.services.claims import prepare, unread
from tracker.services.outcomes import BatchReport, Failed, Outcome, Parsed, Unchanged
from tracker.services.recording import record_batch
from tracker.services.runtime import Runtime
from tracker.sources.errors import ParseError
from tracker.sources.http import FetchFailed, FetchLimits, FetchRequest, FetchResult
from tracker.sources.registry import PARSERS
from tracker.storage.database import Database
from tracker.storage.models import SourceRow

log = structlog.get_logger(__name__)

Fetcher = Callable[[Sequence[FetchRequest], FetchLimits], list[FetchResult]]
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Target:
    """What a poll needs of a leased source, read before the network wait."""

    source_id: str
    kind: str
    content_hash: str | None
    request: FetchRequest
    options: dict[str, str] = field(default_factory=dict)
    rules: NoiseRules = NO_RULES


def _target(row: SourceRow, configured: dict[str, SourceSpec]) -> Target:
    # Request headers (which may carry credentials) come from the configuration, not the table.
    spec = configured.get(row.id)
    headers = dict(spec.headers) if spec is not None else {}
    request = FetchRequest(row.id, row.url, row.etag, row.last_modified, headers)
    options = dict(spec.extract) if spec is not None else {}
    rules = spec.noise_rules() if spec is not None else NO_RULES
    return Target(row.id, row.kind, row.content_hash, request, options, rules)


def parse_result(target: Target, result: FetchResult) -> Outcome:
    """Turn a fetch result into an outcome: unchanged, normalised items, or failed."""
    url = target.request.url
    if isinstance(result, FetchFailed):
        return Failed(target.source_id, url, result.error)
    if result.body is None:
        return Unchanged(target.source_id, url, result.etag, result.last_modified)
    digest = hashlib.sha256(result.body).hexdigest()
    if digest == target.content_hash:  # servers without validators: same bytes, same items
        return Unchanged(target.source_id, url, result.etag, result.last_modified)
    try:
        items = PARSERS[target.kind](
            result.body, url=result.url, content_type=result.content_type, options=target.options
        )
        observations = [Observation.of(item, target.rules) for item in items]
    except ParseError as exc:
        return Failed(target.source_id, url, exc)
    except Exception as exc:  # a parser bug must cost this source, not its batch
        log.exception("parser failed", source_id=target.source_id)
        return Failed(target.source_id, url, ParseError(f"parser error: {type(exc).__name__}"))
    return Parsed(target.source_id, url, observations, digest, result.etag, result.last_modified)


def poll_batch(
    db: Database,
    runtime: Runtime,
    token: str,
    source_ids: Sequence[str],
    *,
    clock: Clock,
    fetcher: Fetcher,
    queued_by: str | None = None,
) -> BatchReport:
    """Poll the sources of a batch that `token` still holds; record results; return a report."""
    configured = {spec.id: spec for spec in runtime.sources}
    with db.reader() as uow:
        held = uow.sources.held(token, source_ids, valid_at=clock())
        targets = [_target(row, configured) for row in held]
    if not targets:
        return BatchReport(lost=list(source_ids))
    started = time.monotonic()
    results = fetcher([t.request for t in targets], runtime.limits)
    outcomes = [parse_result(t, r) for t, r in zip(targets, results, strict=True)]
    prepared = {}
    if runtime.readers:  # a remote model reads new texts now, while no transaction is open
        with db.reader() as uow:
            pending = unread(uow, runtime, outcomes, clock())
        prepared = prepare(runtime, pending)
    fetched_at = time.monotonic()
    with db.unit_of_work() as uow:
        report = record_batch(
            uow, runtime, token, outcomes, clock(), queued_by=queued_by, prepared=prepared
        )
        uow.commit()
    log.info(
        "batch polled",
        sources=len(targets),
        unchanged=report.unchanged,
        failed=report.failed,
        events=len(report.events),
        lost=len(report.lost),
        fetch_seconds=round(fetched_at - started, 3),
        record_seconds=round(time.monotonic() - fetched_at, 3),
    )
    for outcome in outcomes:
        if isinstance(outcome, Failed):
            log.warning(
                "poll failed",
                source_id=outcome.source_id,
                error=outcome.error.reason,
                transient=outcome.error.transient,
            )
    return report
