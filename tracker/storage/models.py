"""The tables: sources, statements and their versions, events, deliveries and attempts."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import false as sa_false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from tracker.storage.types import JsonType, UTCDateTime

# Stable constraint names, so migrations can refer to them on both databases.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
# SQLite only auto-increments an INTEGER PRIMARY KEY; BIGINT elsewhere.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JsonType,
        list[str]: JsonType,
    }


class SourceRow(Base):
    """A watched source: its configuration, schedule, lease, HTTP validators and health."""

    __tablename__ = "sources"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    url: Mapped[str] = mapped_column(Text)
    host: Mapped[str] = mapped_column(String(255), default="", server_default="")  # politeness
    interval_seconds: Mapped[float]
    # The interval in use when it adapts to how busy the source is (None: `interval_seconds`)
    current_interval: Mapped[float | None]
    topics: Mapped[list[str]]
    spec: Mapped[dict[str, Any]]
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    next_poll_at: Mapped[datetime]
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    last_polled_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_status: Mapped[str] = mapped_column(String(20), default="pending")
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    failing: Mapped[bool] = mapped_column(Boolean, default=False)
    polls: Mapped[int] = mapped_column(BigInteger, default=0)
    paused_at: Mapped[datetime | None]  # paused by an editor (config sync leaves it alone)
    paused_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_sources_due", "enabled", "next_poll_at"),
        Index("ix_sources_host_lease", "host", "lease_until"),
    )


class HostBudgetRow(Base):
    """A host's politeness bucket, when the database keeps it (no Redis broker)."""

    __tablename__ = "host_budgets"

    host: Mapped[str] = mapped_column(String(255), primary_key=True)
    tokens: Mapped[float]
    refilled_at: Mapped[float]  # epoch seconds


class StatementRow(Base):
    """One item at one source, identified by its key (GUID, link or title hash)."""

    __tablename__ = "statements"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(Text)
    key_digest: Mapped[str] = mapped_column(String(40))
    url: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(64))
    version_count: Mapped[int] = mapped_column(Integer, default=1)
    relevant: Mapped[bool] = mapped_column(Boolean, default=False)
    announced: Mapped[bool] = mapped_column(Boolean, default=False)
    topics: Mapped[list[str]]
    published_at: Mapped[datetime | None]
    first_seen_at: Mapped[datetime]
    changed_at: Mapped[datetime]
    # Near-duplicate detection: the first text's SimHash (signed 64-bit), and the story cluster
    # (the id of the cluster's first statement; syndicated copies share it and alert once).
    simhash: Mapped[int | None] = mapped_column(BigInteger)
    cluster_id: Mapped[int | None] = mapped_column(BigInteger, index=True)

    __table_args__ = (UniqueConstraint("source_id", "key_digest"),)


class StatementBandRow(Base):
    """One 8-bit band of a statement's SimHash: near-duplicates share at least one."""

    __tablename__ = "statement_bands"

    statement_id: Mapped[int] = mapped_column(
        ForeignKey("statements.id", ondelete="CASCADE"), primary_key=True
    )
    band: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(Integer)
    seen_at: Mapped[datetime]

    __table_args__ = (Index("ix_statement_bands_lookup", "band", "value", "seen_at"),)


class VersionRow(Base):
    """An append-only text of a statement; a statement never has one fingerprint twice."""

    __tablename__ = "statement_versions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("statements.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    fingerprint: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime | None]
    observed_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("statement_id", "fingerprint"),
        UniqueConstraint("statement_id", "seq"),
    )


class EventRow(Base):
    """A change event (the outbox): written in the same transaction as what caused it."""

    __tablename__ = "events"

    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    type: Mapped[str] = mapped_column(String(40), index=True)
    source: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(Text)
    time: Mapped[datetime]
    severity: Mapped[str] = mapped_column(String(10))
    topics: Mapped[list[str]]
    source_id: Mapped[str | None] = mapped_column(String(100), index=True)
    statement_id: Mapped[int | None] = mapped_column(
        ForeignKey("statements.id", ondelete="SET NULL")
    )
    data: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    # The editors' queue: open -> claimed -> acknowledged -> resolved; snoozed until a time.
    status: Mapped[str] = mapped_column(String(12), default="open", server_default="open")
    assignee: Mapped[str | None] = mapped_column(String(100))
    snoozed_until: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(Text)
    status_changed_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_events_queue", "status", "severity"),)


class DeliveryRow(Base):
    """One event to one target; retried from this row until sent or dead."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    target: Mapped[str] = mapped_column(String(120))
    route_id: Mapped[str | None] = mapped_column(String(100))
    subject: Mapped[str] = mapped_column(Text, default="")
    event_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    digest_key: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("event_id", "target"),
        Index("ix_deliveries_due", "status", "next_attempt_at"),
        Index("ix_deliveries_order", "target", "subject", "event_seq"),
        Index("ix_deliveries_cooldown", "route_id", "target", "subject", "created_at"),
    )


class DeliveryAttemptRow(Base):
    """One try at a delivery and how it went."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("deliveries.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime]
    duration_ms: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(10))
    error: Mapped[str | None] = mapped_column(Text)
    status_code: Mapped[int | None] = mapped_column(Integer)


class ClaimRow(Base):
    """A position or fact claim read from one version of a statement: the provenance of state."""

    __tablename__ = "claims"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    topic: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10))  # position | fact
    actor: Mapped[str | None] = mapped_column(String(100))
    issue: Mapped[str | None] = mapped_column(String(100))
    stance: Mapped[str | None] = mapped_column(String(20))
    conditions: Mapped[list[str]]
    key: Mapped[str | None] = mapped_column(String(100))
    value: Mapped[dict[str, Any]]  # {"value": ...}: JSON keeps the type
    outcome: Mapped[str] = mapped_column(String(10))
    statement_id: Mapped[int] = mapped_column(ForeignKey("statements.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("statement_versions.id", ondelete="CASCADE"))
    source_id: Mapped[str] = mapped_column(String(100))
    stated_at: Mapped[datetime]
    sentence: Mapped[str] = mapped_column(Text)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    confidence: Mapped[float]
    event_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime]
    # The actor's own words (the source speaks for the actor), not a report about them.
    own_words: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    story_id: Mapped[int | None] = mapped_column(BigInteger)  # the statement's story cluster
    # None: nobody needed to look; needs_review -> confirmed | rejected (tracker.domain.review)
    review: Mapped[str | None] = mapped_column(String(12))
    review_reasons: Mapped[list[str] | None] = mapped_column(JsonType)
    reviewed_at: Mapped[datetime | None]
    reviewed_by: Mapped[str | None] = mapped_column(String(120))

    __table_args__ = (
        Index("ix_claims_position", "topic", "actor", "issue"),
        Index("ix_claims_fact", "topic", "key"),
        Index("ix_claims_statement", "statement_id"),
        Index("ix_claims_event", "event_id"),
        Index("ix_claims_review", "review", "reviewed_at"),
        Index("ix_claims_story", "story_id"),
    )


class PositionRow(Base):
    """An actor's current stance on an issue within a topic."""

    __tablename__ = "positions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    topic: Mapped[str] = mapped_column(String(100))
    actor: Mapped[str] = mapped_column(String(100))
    issue: Mapped[str] = mapped_column(String(100))
    stance: Mapped[str] = mapped_column(String(20))
    conditions: Mapped[list[str]]
    stated_at: Mapped[datetime]
    source_id: Mapped[str] = mapped_column(String(100))
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"))
    claim: Mapped[ClaimRow] = relationship(foreign_keys=[claim_id])  # the latest word
    confirmations: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("topic", "actor", "issue"),)


class FactRow(Base):
    """A key fact's current value within a topic."""

    __tablename__ = "facts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    topic: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(100))
    value: Mapped[dict[str, Any]]
    stated_at: Mapped[datetime]
    source_id: Mapped[str] = mapped_column(String(100))
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"))
    claim: Mapped[ClaimRow] = relationship(foreign_keys=[claim_id])  # the latest word
    disputed: Mapped[bool] = mapped_column(Boolean, default=False)
    confirmations: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("topic", "key"),)


class WebhookEndpointRow(Base):
    """A webhook endpoint: from the config file, or added with `tracker webhooks add`."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    secret: Mapped[str] = mapped_column(Text)  # whsec_...: signs; never shown again
    previous_secret: Mapped[str | None] = mapped_column(Text)  # still signs during a rotation
    previous_secret_until: Mapped[datetime | None]
    types: Mapped[list[str]]
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    origin: Mapped[str] = mapped_column(String(10))  # config | cli
    failing_since: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class UserRow(Base):
    """A person who logs in to the editor's desk."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)  # argon2id
    role: Mapped[str] = mapped_column(String(10))  # viewer | editor | admin
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]


class ApiTokenRow(Base):
    """A program's API token: only its SHA-256 is kept; the token is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # the token's public part
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(10))
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class WebSessionRow(Base):
    """A logged-in browser: the cookie's SHA-256, its user and its CSRF token."""

    __tablename__ = "web_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class AuditRow(Base):
    """Who did what to which event, source, endpoint or account, and when."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(120))  # user:NAME or token:NAME
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(Text, index=True)  # events/ID, sources/ID, ...
    detail: Mapped[dict[str, Any]]
