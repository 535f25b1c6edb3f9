"""Engines and sessions, tuned per database; the unit of work that entrypoints open and commit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from tracker.storage.accounts import AccountRepository
from tracker.storage.deliveries import DeliveryRepository
from tracker.storage.desk import DeskRepository
from tracker.storage.events import EventRepository
from tracker.storage.sources import HostBudgetRepository, SourceRepository
from tracker.storage.state import StateRepository
from tracker.storage.statements import StatementRepository
from tracker.storage.webhooks import WebhookRepository

SQLITE_BUSY_TIMEOUT_SECONDS = 30


def _tune_sqlite(engine: Engine) -> None:
    """WAL, a busy timeout, foreign keys, and BEGIN IMMEDIATE for write transactions.

    pysqlite's deferred BEGIN takes the write lock only at the first write, and a reader that
    then tries to write can fail at once with "database is locked" whatever the busy timeout;
    taking the lock at BEGIN makes concurrent writers queue instead of failing. Read-only
    units of work ask for a deferred BEGIN, so they never wait on writers (WAL).
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_SECONDS * 1000}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        connection.exec_driver_sql(f"BEGIN {mode}")


def make_engine(url: str) -> Engine:
    """Create the engine for `url`; a SQLite file's directory is created if missing."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})
        _tune_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


class UnitOfWork:
    """One transaction and the repositories that work inside it. Repositories never commit."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.sources = SourceRepository(session)
        self.hosts = HostBudgetRepository(session)
        self.statements = StatementRepository(session)
        self.events = EventRepository(session)
        self.deliveries = DeliveryRepository(session)
        self.state = StateRepository(session)
        self.webhooks = WebhookRepository(session)
        self.desk = DeskRepository(session)
        self.accounts = AccountRepository(session)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Anything not committed explicitly is rolled back: a failure loses the whole unit.
        # close() rolls back without expiring loaded rows, so callers may still read them.
        self.session.close()

    def commit(self) -> None:
        """Commit the transaction."""
        self.session.commit()

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Run a block in a savepoint: if it raises, only the block's writes are undone, and
        what the repositories remembered of them is forgotten with them."""
        try:
            with self.session.begin_nested():
                yield
        except BaseException:
            self.state.forget()
            raise


class Database:
    """The engine of one process and the units of work opened on it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        reader = self.engine.execution_options(sqlite_begin="DEFERRED")
        self._read_sessions = sessionmaker(reader, expire_on_commit=False, autoflush=False)

    def unit_of_work(self) -> UnitOfWork:
        """Open a read-write unit of work."""
        return UnitOfWork(self._sessions())

    def reader(self) -> UnitOfWork:
        """Open a unit of work for reading only (never blocks on writers under SQLite WAL)."""
        return UnitOfWork(self._read_sessions())

    def dispose(self) -> None:
        """Close pooled connections (after a fork, or at shutdown)."""
        self.engine.dispose()
