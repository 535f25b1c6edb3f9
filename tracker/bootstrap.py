"""The composition root: settings, configuration, database, fetcher and senders, wired once.

Entrypoints (the CLI, Celery workers, the web app) build one `Tracker` each and pass its
parts to the services; nothing here runs at import time.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from tracker.config.alerts import ChannelConfig
from tracker.config.loader import Config, ConfigStore
from tracker.config.models import HostPolicyConfig
from tracker.delivery.apprise_sender import AppriseSender, expand_config, native_format
from tracker.domain.delivery_plan import QuietHours
from tracker.domain.extraction.extractor import Extractor, RuleExtractor
from tracker.domain.extraction.vocabulary import Vocabulary
from tracker.domain.politeness import HostPolicy, Politeness
from tracker.domain.sources import SourceSpec
from tracker.guard import AddressPolicy
from tracker.services.delivering import Senders
from tracker.services.dispatch import HostBudget
from tracker.services.runtime import Runtime
from tracker.settings import Settings, load_settings
from tracker.sources.http import FetchLimits, FetchRequest, FetchResult, fetch_all
from tracker.storage.database import Database
from tracker.storage.schema import ensure_current
from tracker.storage.webhooks import EndpointSpec

if TYPE_CHECKING:
    from tracker.storage.host_budget import RedisHostBudget


def utcnow() -> datetime:
    """Return the current time, aware, in UTC."""
    return datetime.now(UTC)


def source_specs(config: Config) -> list[SourceSpec]:
    """Return the configured sources as the core sees them."""
    return [
        SourceSpec(
            id=s.id,
            kind=s.kind,
            url=s.url,
            interval=s.interval,
            topics=tuple(s.topics),
            speaker=s.speaker,
            name=s.name,
            enabled=s.enabled,
            headers=dict(s.headers),
            extract={k: str(v) for k, v in s.extract.model_dump(exclude_none=True).items()}
            if s.extract
            else {},
            adaptive=(s.adaptive.min, s.adaptive.max) if s.adaptive else None,
            credible=s.credible,
            noise=s.noise.model_dump(exclude_defaults=True) if s.noise else {},
        )
        for s in config.sources
    ]


def politeness(config: Config) -> Politeness:
    """Return the hosts' politeness policies of the config file."""

    def policy(c: HostPolicyConfig) -> HostPolicy:
        return HostPolicy(rate=c.rate, burst=c.burst, concurrency=c.concurrency)

    rules = config.politeness
    return Politeness(
        default=policy(rules.default),
        hosts={host: policy(c) for host, c in rules.hosts.items()},
    )


def endpoint_specs(config: Config) -> list[EndpointSpec]:
    """Return the webhook endpoints of the config file."""
    return [
        EndpointSpec(w.id, w.url, w.secret.get_secret_value(), tuple(w.types), w.enabled)
        for w in config.webhooks
    ]


def fetch_limits(settings: Settings, hosts: Politeness | None = None) -> FetchLimits:
    """Return the fetch limits the settings (and the hosts' politeness rules) ask for."""
    return FetchLimits(
        connect_timeout=settings.fetch_connect_timeout,
        read_timeout=settings.fetch_read_timeout,
        total_timeout=settings.fetch_total_timeout,
        max_body_bytes=settings.max_body_bytes,
        max_redirects=settings.max_redirects,
        concurrency=settings.fetch_concurrency,
        # Fetching may use 60% of a batch's time limit; parsing and recording get the rest.
        batch_deadline=max(1.0, settings.poll_time_limit * 0.6),
        user_agent=settings.user_agent,
        allowed_networks=settings.allowed_networks,
        politeness=hosts or Politeness(),
    )


@dataclass(frozen=True)
class ChannelTargets:
    """Each channel's delivery targets (one per apprise service), their URLs and formats."""

    channels: dict[str, list[str]] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict, repr=False)
    formats: dict[str, str] = field(default_factory=dict)
    quiet: dict[str, QuietHours] = field(default_factory=dict)


def _channel_targets(config: Config, settings: Settings) -> ChannelTargets:
    built = ChannelTargets()
    for channel in config.channels.values():
        urls = _channel_urls(channel, settings)
        names = (
            [f"channel:{channel.id}"]
            if channel.url
            else [f"channel:{channel.id}#{i}" for i in range(len(urls))]
        )
        built.channels[channel.id] = names
        for name, url in zip(names, urls, strict=True):
            built.urls[name] = url
            built.formats[name] = native_format(url) if channel.format == "auto" else channel.format
        if channel.quiet_hours:
            q = channel.quiet_hours
            built.quiet[channel.id] = QuietHours(q.start, q.end, q.timezone)
    return built


def _channel_urls(channel: ChannelConfig, settings: Settings) -> list[str]:
    if channel.url is not None:
        return [channel.url.get_secret_value()]
    return expand_config(str(settings.config_dir / str(channel.config)), channel.tags)


@dataclass
class Tracker:
    """One process's wiring. The database and senders are created on first use (after a fork)."""

    settings: Settings
    config_store: ConfigStore
    _db: Database | None = field(default=None, init=False)
    _senders: Senders | None = field(default=None, init=False)
    _budget: RedisHostBudget | None = field(default=None, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _derived_digest: str | None = field(default=None, init=False)
    _runtime: tuple[str, Runtime] | None = field(default=None, init=False)
    _extractors: dict[str, Extractor] = field(default_factory=dict, init=False)
    _readers: dict[str, Extractor] = field(default_factory=dict, init=False)
    _targets: ChannelTargets = field(default_factory=ChannelTargets, init=False)

    @property
    def db(self) -> Database:
        """Return the database, connecting on first use."""
        with self._lock:
            if self._db is None:
                self._db = Database(self.settings.database)
            return self._db

    def checked_db(self) -> Database:
        """Return the database after checking its schema is current (for long-running processes)."""
        db = self.db
        ensure_current(db.engine)
        return db

    @property
    def senders(self) -> Senders:
        """Return the channel sender, the webhook poster and the template renderer."""
        # Imported on first use: a poll with nothing to send needs neither Jinja2 nor the
        # webhook client (start-up of `tracker poll --once`, issue 13).
        from tracker.delivery.templates import Renderer
        from tracker.delivery.webhook_sender import WebhookSender

        with self._lock:
            if self._senders is None:
                s = self.settings
                self._senders = Senders(
                    channel=AppriseSender(timeout=float(s.delivery_time_limit) * 0.8),
                    webhook=WebhookSender(
                        AddressPolicy(s.allowed_networks), timeout=s.webhook_timeout
                    ),
                    renderer=Renderer(s.config_dir / "templates"),
                )
            return self._senders

    @property
    def host_budget(self) -> HostBudget | None:
        """Return where hosts' politeness buckets live: Redis when the broker is Redis, else
        None (the database, in the dispatcher's transaction)."""
        url = self.settings.broker_url
        if url is None or not url.get_secret_value().startswith(("redis://", "rediss://")):
            return None
        from tracker.storage.host_budget import RedisHostBudget  # Redis only when it is the broker

        with self._lock:
            if self._budget is None:
                self._budget = RedisHostBudget(
                    url.get_secret_value(), prefix=self.settings.redis_key_prefix
                )
            return self._budget

    def config(self) -> Config:
        """Return the current configuration (reloaded when its files change)."""
        return self.config_store.get()

    def _derived(self, config: Config) -> None:
        """Rebuild what is derived from the configuration when it changes."""
        with self._lock:
            if self._derived_digest == config.digest:
                return
            self._extractors = {
                t: RuleExtractor(v) for t, v in config.vocabularies.items() if v.issues
            }
            self._readers = {
                t: reader
                for t, v in config.vocabularies.items()
                if v.issues and (reader := self._reader(v, self._extractors[t])) is not None
            }
            self._targets = _channel_targets(config, self.settings)
            self._derived_digest = config.digest

    def _reader(self, vocab: Vocabulary, rules: Extractor) -> Extractor | None:
        """The remote extractor of a topic, when settings name one (the rules back it up)."""
        s = self.settings
        if s.extractor != "llm" or not s.llm_url or not s.llm_model:
            return None
        from tracker.llm.chat_extractor import ChatExtractor, ChatSettings, FallbackExtractor

        key = s.llm_api_key.get_secret_value() if s.llm_api_key else None
        chat = ChatExtractor(vocab, ChatSettings(s.llm_url, s.llm_model, key, s.llm_timeout))
        return FallbackExtractor(chat, rules)

    def runtime(self) -> Runtime:
        """Return the runtime values for the services, from the current configuration (built
        once per configuration: with 10,000 sources a build costs ~70 ms, and every task,
        tick and delivery asks for it)."""
        config = self.config()
        with self._lock:
            cached = self._runtime
        if cached is not None and cached[0] == config.digest:
            return cached[1]
        built = self._build_runtime(config)
        with self._lock:
            self._runtime = (config.digest, built)
        return built

    def _build_runtime(self, config: Config) -> Runtime:
        s = self.settings
        self._derived(config)
        return Runtime(
            topics=config.topics,
            routes=config.routes,
            channels=self._targets.channels,
            target_urls=self._targets.urls,
            target_formats=self._targets.formats,
            quiet_hours=self._targets.quiet,
            severity_rules=config.severity_rules,
            sources=source_specs(config),
            webhooks=endpoint_specs(config),
            failing_after=s.failing_after,
            max_backoff=s.max_backoff_seconds,
            lease_seconds=s.lease_seconds,
            batch_size=s.batch_size,
            max_batches=s.max_batches_per_tick,
            queue_lease=s.queue_lease_seconds,
            delivery_lease=s.delivery_lease_seconds,
            relay_batch=s.relay_batch,
            retry_schedule=s.delivery_retry_schedule,
            backlog_max_age=s.backlog_max_age,
            dispute_window=s.dispute_window_seconds,
            cluster_window=s.cluster_window_seconds,
            vocabularies=config.vocabularies,
            reviews=config.reviews,
            extractors=self._extractors,
            readers=self._readers,
            webhook_timeout=s.webhook_timeout,
            webhook_disable_after=s.webhook_disable_after_seconds,
            limits=fetch_limits(s, politeness(config)),
        )

    @staticmethod
    def fetch(requests: Sequence[FetchRequest], limits: FetchLimits) -> list[FetchResult]:
        """Fetch a batch over HTTP."""
        return fetch_all(requests, limits)

    def after_fork(self) -> None:
        """Drop connections inherited from a parent process."""
        with self._lock:
            if self._db is not None:
                self._db.dispose()
                self._db = None
            if self._senders is not None:
                self._senders.close()
                self._senders = None
            if self._budget is not None:
                self._budget.close()
                self._budget = None

    def close(self) -> None:
        """Release the database connections."""
        self.after_fork()


def bootstrap(settings: Settings | None = None) -> Tracker:
    """Build the wiring from the environment (or the settings given)."""
    settings = settings or load_settings()
    return Tracker(settings=settings, config_store=ConfigStore(settings.config_dir))
