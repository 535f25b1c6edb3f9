"""Shared fixtures: real PostgreSQL and Redis (started if absent), SQLite files, HTTP servers."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, text

from tests.servers import FeedServer, Receiver
from tracker.bootstrap import Tracker, bootstrap
from tracker.settings import load_settings
from tracker.storage.database import Database
from tracker.storage.models import Base
from tracker.storage.schema import migrate

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = os.environ.get(
    "TRACKER_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("TRACKER_TEST_REDIS_URL", "redis://127.0.0.1:6379")


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="session", autouse=True)
def services() -> None:
    """Redis and PostgreSQL answer (scripts/services.sh starts or installs them)."""
    if not (port_open(6379) and port_open(5432)):
        subprocess.run([str(ROOT / "scripts" / "services.sh")], check=True)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No TRACKER_* variable of the developer's shell leaks into a test."""
    for name in list(os.environ):
        if name.startswith("TRACKER_") and not name.startswith("TRACKER_TEST_"):
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def pg_url(services: None) -> Iterator[str]:
    """A PostgreSQL database of this test run, migrated, dropped at the end."""
    name = f"tracker_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
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
