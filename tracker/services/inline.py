"""Run the whole pipeline once, inline: sync, poll every (or the named) source, deliver.

This is `tracker poll --once`: no broker and no worker, for cron jobs and scripts. It takes
the same leases as the workers, so it can run beside them without double polls.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tracker.services import delivering, dispatch, polling
from tracker.services.delivering import Clock, Senders
from tracker.services.outcomes import Fetcher
from tracker.services.runtime import Runtime
from tracker.services.sync import sync_config
from tracker.storage.database import Database


@dataclass(frozen=True)
class RunSummary:
    """What one inline run did."""

    polled: int
    failed: int
    events: int
    sent: int
    unsent: int
    busy: int  # sources skipped because another process held them

    def __str__(self) -> str:
        busy = f"; {self.busy} busy elsewhere" if self.busy else ""
        return (
            f"polled {self.polled} source(s): {self.polled - self.failed} ok, "
            f"{self.failed} with errors{busy}; {self.events} new event(s); "
            f"{self.sent} alert(s) sent, {self.unsent} not sent (will retry)"
        )


def poll_once(
    db: Database,
    runtime: Runtime,
    *,
    fetcher: Fetcher,
    senders: Senders | Callable[[], Senders],
    clock: Clock,
    only: Sequence[str] | None = None,
) -> RunSummary:
    """Poll now (ignoring schedules), record, and send every due delivery (`senders` may be a
    function that builds them when something is due)."""
    with db.unit_of_work() as uow:
        sync_config(uow, runtime.sources, runtime.webhooks, clock())
        uow.commit()
    wanted = [s.id for s in runtime.sources if s.enabled and (only is None or s.id in only)]
    polled = failed = events = leased = 0
    # Each batch is leased just before it is polled, so a long run never polls on a lease
    # that ran out while earlier batches were busy.
    for start in range(0, len(wanted), runtime.batch_size):
        with db.unit_of_work() as uow:
            batches = dispatch.lease_now(
                uow,
                clock(),
                wanted[start : start + runtime.batch_size],
                batch_size=runtime.batch_size,
                lease_seconds=runtime.lease_seconds,
            )
            uow.commit()
        for batch in batches:
            leased += len(batch.source_ids)
            report = polling.poll_batch(
                db, runtime, batch.token, batch.source_ids, clock=clock, fetcher=fetcher
            )
            polled, failed = polled + report.polled, failed + report.failed
            events += len(report.events)
    outcomes = delivering.deliver_due_inline(db, runtime, senders, clock=clock)
    return RunSummary(
        polled=polled,
        failed=failed,
        events=events,
        sent=sum(o.status == "sent" for o in outcomes),
        unsent=sum(o.status in {"retry", "dead"} for o in outcomes),
        busy=len(wanted) - leased,
    )
