"""What the services need from configuration and settings, gathered in one immutable value."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from tracker.domain.delivery_plan import QuietHours
from tracker.domain.extraction.extractor import Extractor
from tracker.domain.extraction.vocabulary import Vocabulary
from tracker.domain.review import ReviewPolicy
from tracker.domain.routing import Route, SeverityRule
from tracker.domain.sources import SourceSpec
from tracker.domain.topics import Topic
from tracker.sources.http import FetchLimits
from tracker.storage.webhooks import EndpointSpec


@dataclass(frozen=True)
class Runtime:
    """Topics, routes, channels and the knobs of polling and delivery."""

    topics: list[Topic]
    routes: list[Route]
    # channel id -> its targets (one per apprise service); target -> URL (a secret, so kept
    # out of repr, tracebacks and logs) and the message format it takes
    channels: dict[str, list[str]] = field(default_factory=dict)
    target_urls: dict[str, str] = field(default_factory=dict, repr=False)
    target_formats: dict[str, str] = field(default_factory=dict)
    quiet_hours: dict[str, QuietHours] = field(default_factory=dict)
    severity_rules: list[SeverityRule] = field(default_factory=list)
    webhook_timeout: float = 15.0
    webhook_disable_after: float = 5 * 86_400.0
    sources: list[SourceSpec] = field(default_factory=list, repr=False)
    webhooks: list[EndpointSpec] = field(default_factory=list, repr=False)  # secrets inside
    failing_after: int = 3
    max_backoff: float = 3600.0
    lease_seconds: float = 300.0
    batch_size: int = 100
    max_batches: int = 50
    queue_lease: float = 30.0
    delivery_lease: float = 60.0
    relay_batch: int = 500
    retry_schedule: tuple[float, ...] = (0, 5, 300)
    backlog_max_age: float = 86_400.0
    dispute_window: float = 172_800.0
    cluster_window: float = 259_200.0
    vocabularies: dict[str, Vocabulary] = field(default_factory=dict, repr=False)
    extractors: dict[str, Extractor] = field(default_factory=dict, repr=False)  # local rules
    readers: dict[str, Extractor] = field(default_factory=dict, repr=False)  # remote (a model)
    reviews: dict[str, ReviewPolicy] = field(default_factory=dict)  # topic -> review settings
    limits: FetchLimits = field(default_factory=FetchLimits)

    @functools.cached_property
    def source_map(self) -> dict[str, SourceSpec]:
        """The configured sources by id (built once: a runtime serves many batches)."""
        return {s.id: s for s in self.sources}

    def credible(self, source_id: str) -> bool:
        """Return whether a source is credited as credible (an unknown one is)."""
        spec = self.source_map.get(source_id)
        return True if spec is None else spec.credible

    def review(self, topic: str) -> ReviewPolicy:
        """Return a topic's review settings (the defaults for a topic without any)."""
        return self.reviews.get(topic) or ReviewPolicy()

    def topics_for(self, topic_ids: list[str]) -> list[Topic]:
        """Return the topics a source is configured for."""
        wanted = set(topic_ids)
        return [t for t in self.topics if t.id in wanted]
