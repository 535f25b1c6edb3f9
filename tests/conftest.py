"""Shared fixtures: the run's own PostgreSQL and Redis (tests/own_services.py), SQLite files,
HTTP servers."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import yaml
from sqlalchemy import create_engine, text

from tests.own_services import OwnServices
from tests.servers import FeedServer, Receiver
from tracker.bootstrap import Tracker, bootstrap
from tracker.settings import load_settings
from tracker.storage.database import Database
from tracker.storage.models import Base
from tracker.storage.schema import migrate

ROOT = Path(__file__).resolve().parents[1]
# Servers of someone else's, named by the developer: the suite then makes only keys and
# databases of its own there, and removes only those. Unset: the suite runs its own servers.
EXTERNAL_PG_URL = os.environ.get("TRACKER_TEST_PG_URL")
EXTERNAL_REDIS_URL = os.environ.get("TRACKER_TEST_REDIS_URL")
# In every name the run makes on a shared server (tests/e2e/test_isolation.py sets it).
RUN_ID = os.environ.get("TRACKER_TEST_RUN_ID") or uuid.uuid4().hex[:8]


class RedisTarget:
    """The run's Redis: its own server (every database its own), or an external one, where it
    writes keys under names carrying RUN_ID and deletes those keys, never a database."""

    def __init__(self, url: str, *, own: bool) -> None:
        self.base, self.own = url.rstrip("/"), own
        self._next_db = 0

    def fresh_url(self) -> str:
        """A URL to write to: on the own server a database flushed for the caller (16, in
        turn); on an external one the database its URL names, as it is."""
        if not self.own:
            return self.base
        url = f"{self.base}/{self._next_db % 16}"
        self._next_db += 1
        client = redis.Redis.from_url(url)
        client.flushdb()  # the suite's own server: nobody else's data is in it
        client.close()
        return url

    def forget(self, url: str, *patterns: str) -> None:
        """Delete the keys matching patterns (each must name something of this run's)."""
        assert all(RUN_ID in pattern for pattern in patterns), patterns
        client = redis.Redis.from_url(url)
        for pattern in patterns:
            keys = list(client.scan_iter(match=pattern, count=1000))
            if keys:
                client.delete(*keys)
        client.close()


@pytest.fixture(scope="session")
def own_services() -> Iterator[OwnServices]:
    """The run's own servers, started when a test first needs one, stopped at the end."""
    services = OwnServices()
    yield services
    services.close()


@pytest.fixture(scope="session")
def redis_target(own_services: OwnServices) -> RedisTarget:
    if EXTERNAL_REDIS_URL:
        return RedisTarget(EXTERNAL_REDIS_URL, own=False)
    return RedisTarget(own_services.redis_url(), own=True)


@pytest.fixture(scope="session")
def pg_admin_url(own_services: OwnServices) -> str:
    """A PostgreSQL URL to create the run's database from (the own cluster unless named)."""
    return EXTERNAL_PG_URL or own_services.pg_admin_url()


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No TRACKER_* variable of the developer's shell leaks into a test."""
    for name in list(os.environ):
        if name.startswith("TRACKER_") and not name.startswith("TRACKER_TEST_"):
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def pg_url(pg_admin_url: str) -> Iterator[str]:
    """A PostgreSQL database this test run creates, migrates, and drops at the end (the only
    database it writes to or drops, on its own cluster or on a named one)."""
    name = f"tracker_test_{RUN_ID}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = pg_admin_url.rsplit("/", 1)[0] + "/" + name
    engine = create_engine(url)
    migrate(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database: a SQLite file, then the run's PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'tracker.db'}"
        db = Database(url)
        migrate(db.engine)
        db.dispose()
        return url
    url = request.getfixturevalue("pg_url")
    _truncate(url)
    return url


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    server = FeedServer()
    yield server
    server.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


LOCAL_HOST = {"rate": 100_000, "burst": 100_000, "concurrency": 1000}


class ConfigDir:
    """A config directory for a test: the shipped topics, and sources/alerts written per test."""

    def __init__(self, path: Path) -> None:
        self.path = path
        (path / "topics").mkdir(parents=True)
        for topic in (ROOT / "config" / "topics").glob("*.yaml"):
            shutil.copy(topic, path / "topics" / topic.name)
        self.sources([])
        self.alerts(channels=[], routes=[])

    def sources(
        self, sources: list[dict[str, object]], politeness: dict[str, object] | None = None
    ) -> None:
        """Write sources.yaml. The test servers all live on 127.0.0.1, so unless a test is
        about politeness, that host may take as much as the tests give it."""
        rules = politeness if politeness is not None else {"hosts": {"127.0.0.1": LOCAL_HOST}}
        (self.path / "sources.yaml").write_text(
            yaml.safe_dump({"politeness": rules, "sources": sources})
        )

    def alerts(self, *, channels: list[dict[str, object]], routes: list[dict[str, object]]) -> None:
        (self.path / "alerts.yaml").write_text(
            yaml.safe_dump({"channels": channels, "routes": routes})
        )

    def feed(self, source_id: str, url: str, **extra: object) -> dict[str, object]:
        return {
            "id": source_id,
            "kind": "feed",
            "url": url,
            "interval": 60,
            "topics": ["ukraine-ceasefire"],
            **extra,
        }


@pytest.fixture
def config_dir(tmp_path: Path) -> ConfigDir:
    return ConfigDir(tmp_path / "config")


@pytest.fixture
def make_tracker(database_url: str, config_dir: ConfigDir, tmp_path: Path) -> Iterator[object]:
    """Build a Tracker on the test database and config dir, with settings overrides."""
    made: list[Tracker] = []

    def make(**overrides: object) -> Tracker:
        defaults: dict[str, object] = {
            "database_url": database_url,
            "config_dir": config_dir.path,
            "data_dir": tmp_path / "var",
            "allowed_networks": ("127.0.0.0/8",),
        }
        settings = load_settings(**{**defaults, **overrides})
        tracker = bootstrap(settings)
        made.append(tracker)
        return tracker

    yield make
    for tracker in made:
        tracker.close()
