"""Poll a leased batch: fetch all concurrently, parse, then record everything in one transaction.

This use case owns two short transactions on purpose: one to read what the batch holds, one
to record the results. The network wait in between holds no database transaction or lock;
the lease is what keeps other workers off these sources meanwhile.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from datetime import datetime

import structlog

from tracker.domain.normalise import NO_RULES
from tracker.domain.sources import SourceSpec
from tracker.domain.statements import Observation
from tracker.services.claims import prepare, unread
from tracker.services.listings import follow_listings
from tracker.services.outcomes import (
    BatchReport,
    Failed,
    Fetcher,
    Listing,
    Outcome,
    Parsed,
    Target,
    Unchanged,
)
from tracker.services.recording import record_batch
from tracker.services.runtime import Runtime
from tracker.sources.errors import ParseError
from tracker.sources.http import Fetched, FetchFailed, FetchRequest, FetchResult
from tracker.sources.registry import PARSERS
from tracker.storage.database import Database
from tracker.storage.sources import Leased

log = structlog.get_logger(__name__)

Clock = Callable[[], datetime]


def _target(row: Leased, configured: dict[str, SourceSpec]) -> Target:
    # Request headers (which may carry credentials) come from the configuration, not the table.
    spec = configured.get(row.id)
    headers = dict(spec.headers) if spec is not None else {}
    request = FetchRequest(row.id, row.url, row.etag, row.last_modified, headers)
    options = dict(spec.extract) if spec is not None else {}
    rules = spec.noise_rules() if spec is not None else NO_RULES
    return Target(row.id, row.kind, row.content_hash, request, options, rules)


def parse_result(target: Target, result: FetchResult) -> Outcome | Listing:
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
        return _read(target, result, result.body, digest)
    except ParseError as exc:
        return Failed(target.source_id, url, exc)
    except Exception as exc:  # a parser bug must cost this source, not its batch
        log.exception("parser failed", source_id=target.source_id)
        return Failed(target.source_id, url, ParseError(f"parser error: {type(exc).__name__}"))


def _read(target: Target, result: Fetched, body: bytes, digest: str) -> Parsed | Listing:
    url, kind, options = target.request.url, target.kind, target.options
    if kind == "page" and options.get("follow"):  # a listing: its articles are opened next
        from tracker.sources.page import parse_links

        links = parse_links(body, url=result.url, content_type=result.content_type, options=options)
        return Listing(target.source_id, url, links, digest, result.etag, result.last_modified)
    items = PARSERS[kind](body, url=result.url, content_type=result.content_type, options=options)
    observations = [Observation.of(item, target.rules) for item in items]
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
    configured = runtime.source_map
    with db.reader() as uow:
        held = uow.sources.leased(token, source_ids, clock())
        targets = [_target(row, configured) for row in held]
    if not targets:
        return BatchReport(lost=list(source_ids))
    started = time.monotonic()
    results = fetcher([t.request for t in targets], runtime.limits)
    parsed = [parse_result(t, r) for t, r in zip(targets, results, strict=True)]
    outcomes = follow_listings(db, runtime, parsed, {t.source_id: t for t in targets}, fetcher)
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
