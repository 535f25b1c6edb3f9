"""The tasks. Each takes ids, re-reads rows, checks state, and calls one service.

    beat ──► dispatch_due ──► poll_batch(token, ids) ──► deliver(id, token)
    beat ──► relay_outbox ───────────────────────────► deliver(id, token)

Running any of them twice changes nothing the second time: a batch whose lease is gone is
skipped, a delivery already sent (or held by another worker) is skipped.
"""

from __future__ import annotations

from typing import Any

import structlog
from celery import Celery
from celery.exceptions import SoftTimeLimitExceeded

from tracker.bootstrap import Tracker, endpoint_specs, source_specs, utcnow
from tracker.services import delivering, dispatch, polling
from tracker.services.sync import sync_config

log = structlog.get_logger(__name__)

_RELIABLE: dict[str, Any] = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "ignore_result": True,
}


def _sync_if_changed(tracker: Tracker, synced: dict[str, str]) -> None:
    """Sync the sources table when the configuration changed since this process last did."""
    config = tracker.config()
    if synced.get("digest") == config.digest:
        return
    with tracker.db.unit_of_work() as uow:
        report = sync_config(uow, source_specs(config), endpoint_specs(config), utcnow())
        uow.commit()
    synced["digest"] = config.digest
    if report.added or report.updated or report.disabled:
        log.info(
            "sources synced from config",
            added=report.added,
            updated=report.updated,
            disabled=report.disabled,
        )


def register_tasks(app: Celery, tracker: Tracker) -> None:
    """Define the tracker's tasks on `app`, bound to `tracker`'s wiring."""
    settings = tracker.settings
    tick = settings.tick_seconds
    synced: dict[str, str] = {}  # the config digest this process last synced

    @app.task(name="tracker.deliver", time_limit=settings.delivery_time_limit, **_RELIABLE)
    def deliver(delivery_id: int, token: str | None = None) -> str:
        structlog.contextvars.bind_contextvars(task_id=deliver.request.id, delivery_id=delivery_id)
        try:
            outcome = delivering.deliver(
                tracker.db, tracker.runtime(), tracker.senders, delivery_id, token, clock=utcnow
            )
            return outcome.status
        finally:
            structlog.contextvars.clear_contextvars()

    @app.task(
        name="tracker.poll_batch",
        time_limit=settings.poll_time_limit,
        soft_time_limit=max(1, settings.poll_time_limit - 10),
        **_RELIABLE,
    )
    def poll_batch(token: str, source_ids: list[str]) -> int:
        structlog.contextvars.bind_contextvars(task_id=poll_batch.request.id, batch=token)
        queue_token = dispatch.new_token("q")
        try:
            report = polling.poll_batch(
                tracker.db,
                tracker.runtime(),
                token,
                source_ids,
                clock=utcnow,
                fetcher=tracker.fetch,
                queued_by=queue_token,
            )
        except SoftTimeLimitExceeded:
            # Give the sources back now rather than when their leases run out.
            log.warning("poll batch ran out of time; releasing it", sources=len(source_ids))
            with tracker.db.unit_of_work() as uow:
                uow.sources.release(token, source_ids)
                uow.commit()
            return 0
        finally:
            structlog.contextvars.clear_contextvars()
        for delivery_id in report.delivery_ids:
            deliver.apply_async((delivery_id, queue_token))
        return report.polled

    @app.task(name="tracker.dispatch_due", time_limit=60, ignore_result=True, expires=tick * 2)
    def dispatch_due() -> int:
        _sync_if_changed(tracker, synced)
        runtime = tracker.runtime()
        return dispatch.dispatch_due(
            tracker.db,
            utcnow(),
            lambda batch: poll_batch.apply_async((batch.token, batch.source_ids)),
            batch_size=runtime.batch_size,
            max_batches=runtime.max_batches,
            lease_seconds=runtime.lease_seconds,
            politeness=runtime.limits.politeness,
            budget=tracker.host_budget,
        )

    @app.task(name="tracker.relay_outbox", time_limit=60, ignore_result=True, expires=tick * 2)
    def relay_outbox() -> int:
        queued = delivering.relay_due(tracker.db, tracker.runtime(), clock=utcnow)
        for item in queued:
            deliver.apply_async((item.delivery_id, item.token))
        return len(queued)

    app.conf.beat_schedule = {
        "dispatch-due": {
            "task": "tracker.dispatch_due",
            "schedule": tick,
            "options": {"expires": tick * 2},
        },
        "relay-outbox": {
            "task": "tracker.relay_outbox",
            "schedule": tick,
            "options": {"expires": tick * 2},
        },
    }
