"""Process settings from the environment (`TRACKER_*`), validated once at start-up.

Nothing reads settings at import time: entrypoints call `load_settings()` and pass the
result down, so tests and processes each get exactly the settings they were given.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Annotated, Literal, Self
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from tracker.domain.retry import DEFAULT_SCHEDULE

_DB_SCHEMES = {"sqlite", "postgresql", "postgresql+psycopg", "postgres"}
_BROKER_SCHEMES = {
    "redis",
    "rediss",
    "amqp",
    "amqps",
    "pyamqp",
    "filesystem",
    "memory",
    "sqla+sqlite",
    "sqla+postgresql",
}


def _sqlite_problem(path: Path) -> str | None:
    """Why a SQLite database cannot live at `path` (None if it can, as far as we can tell)."""
    if path.exists():
        if path.is_dir():
            return "it is a directory"
        return None if os.access(path, os.R_OK | os.W_OK) else "it is not writable"
    return _uncreatable(path)


def _directory_problem(path: Path) -> str | None:
    """Why `path` cannot be (or become) a directory the tracker writes in."""
    if path.exists():
        if not path.is_dir():
            return "it is a file, not a directory"
        return None if os.access(path, os.W_OK | os.X_OK) else "it is not writable"
    return _uncreatable(path)


def _uncreatable(path: Path) -> str | None:
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        return f"{ancestor} is a file, not a directory"
    if not os.access(ancestor, os.W_OK | os.X_OK):
        return f"{ancestor} is not writable"
    return None


class SettingsError(Exception):
    """The environment holds an invalid setting; the message names each variable."""


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    """Every knob of the tracker; each is the environment variable `TRACKER_<NAME>`."""

    model_config = SettingsConfigDict(env_prefix="TRACKER_", extra="ignore", frozen=True)

    database_url: SecretStr = SecretStr("")  # may carry a password: never in a repr or log
    broker_url: SecretStr | None = None
    # Put before every Redis key the tracker makes (the broker's and the host buckets), so
    # several trackers, or a test run, can share one Redis database without meeting.
    redis_key_prefix: str = ""
    config_dir: Path = Path("config")
    data_dir: Path = Path("var")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["console", "json"] = "console"

    tick_seconds: float = Field(default=5.0, gt=0, le=60)
    batch_size: int = Field(default=100, ge=1, le=2000)
    max_batches_per_tick: int = Field(default=50, ge=1)
    lease_seconds: int = Field(default=300, ge=2)
    poll_time_limit: int = Field(default=240, ge=1)
    fetch_connect_timeout: float = Field(default=5.0, gt=0)
    fetch_read_timeout: float = Field(default=15.0, gt=0)
    fetch_total_timeout: float = Field(default=30.0, gt=0)
    fetch_concurrency: int = Field(default=50, ge=1, le=1000)
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    max_redirects: int = Field(default=5, ge=0, le=20)
    user_agent: str = "ceasefire-tracker/0.1 (+https://github.com/; change tracker)"
    failing_after: int = Field(default=3, ge=1)
    # On a source's first poll, relevant items older than this are stored as known, not
    # announced (0: announce every item of a new source).
    backlog_max_age: float = Field(default=86_400.0, ge=0)
    # Two sources stating different values of a fact this close together dispute it.
    dispute_window_seconds: float = Field(default=172_800.0, ge=0)
    # A near-copy of a story another source carried this recently joins its cluster, silently.
    cluster_window_seconds: float = Field(default=259_200.0, ge=0)
    max_backoff_seconds: float = Field(default=3600.0, ge=1)

    delivery_retry_schedule: Annotated[tuple[float, ...], NoDecode] = DEFAULT_SCHEDULE
    delivery_lease_seconds: int = Field(default=60, ge=2)
    delivery_time_limit: int = Field(default=45, ge=1)
    queue_lease_seconds: int = Field(default=30, ge=1)
    relay_batch: int = Field(default=500, ge=1)
    queue: str = Field(default="tracker", pattern=r"^[A-Za-z0-9_.:-]+$")
    worker_concurrency: int = Field(default=2, ge=1, le=64)
    allowed_networks: Annotated[tuple[str, ...], NoDecode] = ()
    webhook_timeout: float = Field(default=15.0, gt=0, le=60)
    # an endpoint whose every delivery failed this long is disabled (and an ops event says so)
    webhook_disable_after_seconds: float = Field(default=5 * 86_400.0, gt=0)
    # Claims are read by the rules; "llm" asks an OpenAI-compatible chat API (rules as fallback).
    extractor: Literal["rules", "llm"] = "rules"
    llm_url: str | None = None  # e.g. http://localhost:8000/v1
    llm_model: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout: float = Field(default=60.0, gt=0)
    # The editor's desk (`tracker web`, and `tracker run` on the embedded default).
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=8000, ge=0, le=65535)
    # Session cookies are Secure over https; set true behind a TLS-terminating proxy.
    cookie_secure: bool = False

    @field_validator("delivery_retry_schedule", "allowed_networks", mode="before")
    @classmethod
    def _csv(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator("delivery_retry_schedule")
    @classmethod
    def _schedule(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if not value or any(v < 0 for v in value):
            raise ValueError("expected comma-separated non-negative seconds, e.g. 0,5,300")
        return value

    @field_validator("allowed_networks")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for cidr in value:
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError as exc:
                raise ValueError(f"not a network in CIDR form: {cidr!r}") from exc
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, secret: SecretStr) -> SecretStr:
        value = secret.get_secret_value()
        if not value:
            return secret
        scheme = urlsplit(value).scheme
        if scheme not in _DB_SCHEMES:
            raise ValueError(
                f"unsupported database URL scheme {scheme!r}: use sqlite:///path or postgresql://user@host/db"
            )
        if scheme in {"postgres", "postgresql"}:
            return SecretStr("postgresql+psycopg" + value[len(scheme) :])
        return secret

    @field_validator("broker_url")
    @classmethod
    def _broker_url(cls, secret: SecretStr | None) -> SecretStr | None:
        value = secret.get_secret_value() if secret else ""
        if not value:
            return None
        scheme = urlsplit(value).scheme
        if scheme not in _BROKER_SCHEMES:
            raise ValueError(
                f"unsupported broker URL scheme {scheme!r}: use redis://host:6379/0, "
                "or leave it unset for the embedded broker"
            )
        return secret

    @model_validator(mode="after")
    def _limits(self) -> Self:
        if self.lease_seconds <= self.poll_time_limit:
            raise ValueError(
                "TRACKER_LEASE_SECONDS must exceed TRACKER_POLL_TIME_LIMIT, "
                "or a slow poll could be polled twice"
            )
        if self.extractor == "llm" and not (self.llm_url and self.llm_model):
            raise ValueError("TRACKER_EXTRACTOR=llm needs TRACKER_LLM_URL and TRACKER_LLM_MODEL")
        if self.delivery_lease_seconds <= self.delivery_time_limit:
            raise ValueError(
                "TRACKER_DELIVERY_LEASE_SECONDS must exceed TRACKER_DELIVERY_TIME_LIMIT"
            )
        return self

    @model_validator(mode="after")
    def _paths(self) -> Self:
        """The data directory and a SQLite file must be ones the tracker can create and
        write: said here, once, rather than as an OSError from whichever command first
        opens them."""
        problem = _directory_problem(self.data_dir)
        if problem:
            raise ValueError(f"TRACKER_DATA_DIR: cannot use {self.data_dir}: {problem}")
        url = self.database
        database = urlsplit(url).path.removeprefix("/")  # sqlite:///rel.db, sqlite:////abs.db
        if not url.startswith("sqlite:") or database in {"", ":memory:"}:
            return self
        problem = _sqlite_problem(Path(database))
        if problem:
            raise ValueError(
                f"TRACKER_DATABASE_URL: cannot use the SQLite file {database}: {problem}"
            )
        return self

    @property
    def database(self) -> str:
        """Return the database URL, defaulting to a SQLite file under the data directory."""
        if self.database_url.get_secret_value():
            return self.database_url.get_secret_value()
        return f"sqlite:///{(self.data_dir / 'tracker.db').resolve()}"

    @property
    def embedded_broker(self) -> bool:
        """Return whether the broker is the embedded one (no server; a folder under var/)."""
        return self.broker_url is None


def load_settings(**overrides: object) -> Settings:
    """Read and validate the settings; raise SettingsError naming each bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for error in exc.errors(include_url=False):
            message = error["msg"].removeprefix("Value error, ")
            if error["loc"]:
                message = f"TRACKER_{str(error['loc'][0]).upper()}: {message}"
            lines.append(message)
        if len(lines) == 1:  # one line, as a script's log shows it
            raise SettingsError(f"invalid settings: {lines[0]}") from exc
        raise SettingsError("invalid settings:\n  " + "\n  ".join(lines)) from exc
