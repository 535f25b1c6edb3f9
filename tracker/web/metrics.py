"""Prometheus metrics, read from the database at scrape time (so every worker's work counts,
whatever process serves the scrape)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    Metric,
    SummaryMetricFamily,
)
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from tracker.storage.database import Database
from tracker.storage.models import DeliveryRow, EventRow, SourceRow

LATENCY_WINDOW = timedelta(hours=1)


class TrackerCollector(Collector):
    """Polls, errors per source, events by type, deliveries by outcome, queue depth, and the
    latency from an event to its alert (sent deliveries of the last hour)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self) -> Iterator[Metric]:
        """Read the figures (one short read-only transaction)."""
        now = datetime.now(UTC)
        with self.db.reader() as uow:
            session = uow.session
            polls = CounterMetricFamily(
                "tracker_polls", "Polls made, per source", labels=["source"]
            )
            failures = GaugeMetricFamily(
                "tracker_source_consecutive_failures",
                "Consecutive failed polls, per source",
                labels=["source"],
            )
            failing = GaugeMetricFamily(
                "tracker_source_failing", "1 when a source is reported failing", labels=["source"]
            )
            for source_id, n, fails, bad in session.execute(
                select(
                    SourceRow.id, SourceRow.polls, SourceRow.consecutive_failures, SourceRow.failing
                )
            ):
                polls.add_metric([source_id], float(n))
                failures.add_metric([source_id], float(fails))
                failing.add_metric([source_id], 1.0 if bad else 0.0)
            yield from (polls, failures, failing)
            events = CounterMetricFamily(
                "tracker_events", "Events raised, by type", labels=["type"]
            )
            for kind, n in session.execute(
                select(EventRow.type, func.count()).group_by(EventRow.type)
            ):
                events.add_metric([kind], float(n))
            yield events
            deliveries = GaugeMetricFamily(
                "tracker_deliveries", "Deliveries, by outcome", labels=["status"]
            )
            for status, n in session.execute(
                select(DeliveryRow.status, func.count()).group_by(DeliveryRow.status)
            ):
                deliveries.add_metric([status], float(n))
            yield deliveries
            depth = GaugeMetricFamily(
                "tracker_queue_events", "Events in the editors' queue, by status", labels=["status"]
            )
            for status, n in uow.desk.counts_by_status(now).items():
                depth.add_metric([status], float(n))
            yield depth
            latencies = [
                (sent - made).total_seconds()
                for sent, made in session.execute(
                    select(DeliveryRow.sent_at, EventRow.created_at)
                    .join(EventRow, EventRow.id == DeliveryRow.event_id)
                    .where(DeliveryRow.sent_at >= now - LATENCY_WINDOW)
                )
                if sent is not None
            ]
            yield SummaryMetricFamily(
                "tracker_alert_latency_seconds",
                "From an event's commit to its delivery, over the last hour",
                count_value=len(latencies),
                sum_value=sum(latencies),
            )
            p = GaugeMetricFamily(
                "tracker_alert_latency_quantile_seconds",
                "Alert latency quantiles over the last hour",
                labels=["quantile"],
            )
            ordered = sorted(latencies)
            for q in (0.5, 0.99):
                if ordered:
                    p.add_metric([str(q)], ordered[min(len(ordered) - 1, int(q * len(ordered)))])
            yield p
