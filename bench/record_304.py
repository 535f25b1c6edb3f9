"""The database side of a poll on the conditional-GET path, without a network or a broker.

N sources on a fresh PostgreSQL database (created and dropped here; or a SQLite file), every
one polled before (validators stored; one in ten adaptive), are leased in batches and
each batch's fetch answers 304. Two phases, each timed per poll:

- record: `record_batch` of a batch of Unchanged outcomes, in its transaction (commit included);
- poll: `poll_batch` with a fetcher that answers 304 at once: the read before the fetch, the
  listings step and the record, as a worker runs them.

Printed per poll: wall time, the CPU time of this process (the services, SQLAlchemy, the
driver) and of the PostgreSQL backends serving it (read from /proc, so the server must run on
this machine); statements are counted per batch (an executemany once, its rows beside it).

    python bench/record_304.py [--sources 1000] [--batch 100] [--rounds 6] [--adaptive 10]
                               [--sqlite]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import structlog
import yaml
from sqlalchemy import event, update

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import ROOT, postgres_database
from tracker.bootstrap import bootstrap
from tracker.services import dispatch, polling
from tracker.services.outcomes import Unchanged
from tracker.services.recording import record_batch
from tracker.services.sync import sync_sources
from tracker.settings import load_settings
from tracker.sources.http import Fetched, FetchLimits, FetchRequest, FetchResult
from tracker.storage.database import Database
from tracker.storage.models import SourceRow
from tracker.storage.schema import migrate

ETAG = '"5f0c-abc"'


def write_config(config_dir: Path, count: int, adaptive: int) -> None:
    (config_dir / "topics").mkdir(parents=True, exist_ok=True)
    (config_dir / "topics" / "ukraine-ceasefire.yaml").write_bytes(
        (ROOT / "config" / "topics" / "ukraine-ceasefire.yaml").read_bytes()
    )
    sources = []
    for i in range(count):
        source: dict[str, object] = {
            "id": f"s{i:05d}",
            "kind": "feed",
            "url": f"http://127.0.0.1:9/f{i}.xml",  # never fetched
            "interval": 600,
            "topics": ["ukraine-ceasefire"],
        }
        if adaptive and i % adaptive == 0:
            source["adaptive"] = {"min": 60, "max": 3600}
        sources.append(source)
    (config_dir / "sources.yaml").write_text(yaml.safe_dump({"sources": sources}))
    (config_dir / "alerts.yaml").write_text("channels: []\nroutes: []\n")


class Counter:
    """Statements and executemany rows sent on an engine, and the CPU time of the PostgreSQL
    backends serving its connections (from /proc: the server runs on this machine)."""

    def __init__(self, db: Database) -> None:
        self.statements = self.rows = 0
        self.backends: set[int] = set()
        event.listen(db.engine, "before_cursor_execute", self._count)
        if db.engine.dialect.name == "postgresql":
            event.listen(db.engine, "connect", self._backend)
            db.engine.dispose()  # connections from now on are noted

    def _backend(self, dbapi_connection, _record) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self.backends.add(cursor.fetchone()[0])

    def server_seconds(self) -> float:
        """CPU time the backends have run so far (schedstat: nanoseconds on a CPU)."""
        total = 0
        for pid in self.backends:
            try:
                total += int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
            except OSError:  # gone, or not on this machine
                continue
        return total / 1e9

    def _count(self, _conn, _cursor, _statement, parameters, _context, executemany) -> None:
        self.statements += 1
        self.rows += len(parameters) if executemany else 1

    def take(self) -> tuple[int, int]:
        found = (self.statements, self.rows)
        self.statements = self.rows = 0
        return found


def answer_304(requests: Sequence[FetchRequest], _limits: FetchLimits) -> list[FetchResult]:
    return [
        Fetched(r.source_id, 304, None, r.url, None, r.etag, r.last_modified, 0.0) for r in requests
    ]


def utcnow() -> datetime:
    return datetime.now(UTC)


def lease_all(db: Database, batch: int) -> list[dispatch.Batch]:
    with db.unit_of_work() as uow:
        # adaptive sources lengthen their interval every round: from the start again, so
        # every round is alike (none has reached its ceiling)
        uow.session.execute(update(SourceRow).values(current_interval=None))
        batches = dispatch.lease_now(uow, utcnow(), None, batch_size=batch, lease_seconds=300)
        uow.commit()
    return batches


def timed(
    counter: Counter, batches: list[dispatch.Batch], step: Callable[..., None]
) -> tuple[float, float, float, int, int]:
    """Run `step` on every batch; return (wall s, CPU s, server CPU s, statements, rows)."""
    counter.take()
    server = counter.server_seconds()
    wall, cpu = time.perf_counter(), time.process_time()
    for batch in batches:
        step(batch)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return (wall, cpu, counter.server_seconds() - server, *counter.take())


@contextmanager
def database(sqlite: bool, work: Path) -> Iterator[str]:
    if sqlite:
        yield f"sqlite:///{work / 'bench.db'}"
        return
    with postgres_database() as url:
        yield url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=6, help="the first is a warm-up")
    parser.add_argument(
        "--adaptive", type=int, default=10, help="one source in this many adapts (0: none)"
    )
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file, not PostgreSQL")
    args = parser.parse_args()
    # poll_batch logs a line per batch: not what is measured here
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))

    with (
        tempfile.TemporaryDirectory(prefix="bench-record-") as tmp,
        database(args.sqlite, Path(tmp)) as url,
    ):
        work = Path(tmp)
        write_config(work / "config", args.sources, args.adaptive)
        settings = load_settings(
            database_url=url, config_dir=work / "config", data_dir=work / "var"
        )
        tracker = bootstrap(settings)
        db, runtime = tracker.db, tracker.runtime()
        migrate(db.engine)
        with db.unit_of_work() as uow:
            sync_sources(uow, runtime.sources, utcnow())
            uow.session.execute(
                update(SourceRow).values(
                    etag=ETAG, last_success_at=utcnow(), last_status="unchanged", polls=1
                )
            )
            uow.commit()
        counter = Counter(db)

        def record(batch: dispatch.Batch) -> None:
            outcomes = [
                Unchanged(i, f"http://127.0.0.1:9/f{int(i[1:])}.xml") for i in batch.source_ids
            ]
            with db.unit_of_work() as uow:
                record_batch(uow, runtime, batch.token, outcomes, utcnow(), queued_by=None)
                uow.commit()

        def poll(batch: dispatch.Batch) -> None:
            polling.poll_batch(
                db, runtime, batch.token, batch.source_ids, clock=utcnow, fetcher=answer_304
            )

        dialect = db.engine.dialect.name
        print(f"{dialect}: {args.sources} sources, batches of {args.batch}, 304 every poll")
        for name, step in (("record", record), ("poll", poll)):
            walls, cpus, servers = [], [], []
            for round_ in range(args.rounds):
                batches = lease_all(db, args.batch)
                wall, cpu, server, statements, rows = timed(counter, batches, step)
                polls = sum(len(b.source_ids) for b in batches)
                if round_:  # the first warms caches and the statement cache
                    walls.append(wall * 1000 / polls)
                    cpus.append(cpu * 1000 / polls)
                    servers.append(server * 1000 / polls)
            server_cpu = f"{statistics.median(servers):.3f}" if counter.backends else "n/a"
            print(
                f"  {name:6s} wall {statistics.median(walls):.3f} ms/poll, CPU: here "
                f"{statistics.median(cpus):.3f}, PostgreSQL {server_cpu}; "
                f"{statements / len(batches):.1f} statements, {rows / len(batches):.0f} rows a batch"
            )
        tracker.close()


if __name__ == "__main__":
    main()
