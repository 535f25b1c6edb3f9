"""The suite beside other programs' data: a Redis on 127.0.0.1:6379 holding keys in databases
0-15 and a PostgreSQL on :5432 holding a table keep every key and row through a run of the
suite's Redis- and PostgreSQL-using tests (Celery workers included), whether the run uses its
own servers or is pointed at those two."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest
import redis
from sqlalchemy import create_engine, text

from tests.conftest import ROOT
from tests.own_services import OwnServices, answers

pytestmark = pytest.mark.e2e

SHARED_REDIS_PORT, SHARED_PG_PORT = 6379, 5432
# A part of the suite that writes to Redis (broker, host buckets) and PostgreSQL (leases, a
# worker's whole poll-diff-alert path) the way the rest of it does.
INNER_TESTS = [
    "tests/e2e/test_worker.py::test_worker_polls_diffs_and_alerts_end_to_end[postgresql]",
    "tests/integration/test_politeness.py::test_a_host_gets_no_more_requests_a_second_than_its_rate[postgresql-redis]",
    "tests/integration/test_politeness.py::test_a_redis_key_prefix_gives_each_tracker_its_own_buckets",
    "tests/integration/test_leases.py",
]


@pytest.fixture(scope="module")
def shared() -> Iterator[tuple[str, str]]:
    """The machine's Redis on :6379 and PostgreSQL on :5432, as other programs use them; where
    nothing listens there, a stand-in server this test starts (and stops)."""
    stand_in = OwnServices(
        redis_port=None if answers(SHARED_REDIS_PORT) else SHARED_REDIS_PORT,
        pg_port=None if answers(SHARED_PG_PORT) else SHARED_PG_PORT,
    )
    try:
        redis_url = f"redis://127.0.0.1:{SHARED_REDIS_PORT}"
        if not answers(SHARED_REDIS_PORT):
            redis_url = stand_in.redis_url()
        pg_url = f"postgresql+psycopg://postgres@127.0.0.1:{SHARED_PG_PORT}/postgres"
        if not answers(SHARED_PG_PORT):
            pg_url = stand_in.pg_admin_url()
        yield redis_url, pg_url
    finally:
        stand_in.close()


@pytest.fixture
def foreign_keys(shared: tuple[str, str]) -> Iterator[dict[int, tuple[str, str]]]:
    """A key of another program's in each of Redis databases 0-15; deleted (only they) after."""
    mark = f"tracker-isolation-{uuid.uuid4().hex[:8]}"
    keys = {db: (f"{mark}:{db}", f"value {db}") for db in range(16)}
    for db, (key, value) in keys.items():
        with redis.Redis.from_url(f"{shared[0]}/{db}") as client:
            client.set(key, value)
    yield keys
    for db, (key, _value) in keys.items():
        with redis.Redis.from_url(f"{shared[0]}/{db}") as client:
            client.delete(key)


@pytest.fixture
def foreign_table(shared: tuple[str, str]) -> Iterator[str]:
    """Another program's database on :5432 with a table of three rows; dropped (only it) after."""
    name = f"tracker_isolation_{uuid.uuid4().hex[:8]}"
    admin = create_engine(shared[1], isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = shared[1].rsplit("/", 1)[0] + "/" + name
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE kept (id int PRIMARY KEY, note text)"))
        conn.execute(text("INSERT INTO kept VALUES (1, 'a'), (2, 'b'), (3, 'c')"))
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _run_inner(run_id: str, **overrides: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env.update(TRACKER_TEST_RUN_ID=run_id, **overrides)
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *INNER_TESTS]
    return subprocess.run(
        argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240, check=False
    )


def _redis_keys_with(url: str, needle: str) -> list[str]:
    found = []
    for db in range(16):
        with redis.Redis.from_url(f"{url}/{db}") as client:
            found += [k.decode() for k in client.scan_iter(match=f"*{needle}*", count=1000)]
    return found


def _databases(admin_url: str) -> set[str]:
    engine = create_engine(admin_url)
    with engine.connect() as conn:
        names = set(conn.execute(text("SELECT datname FROM pg_database")).scalars())
    engine.dispose()
    return names


@pytest.mark.parametrize("pointed_at_shared", [False, True], ids=["own servers", "shared servers"])
def test_the_suite_leaves_every_key_and_row_it_did_not_make(
    shared, foreign_keys, foreign_table, pointed_at_shared
):
    """After the suite's Redis- and PostgreSQL-using tests ran, on their own servers or on the
    shared ones through TRACKER_TEST_REDIS_URL / TRACKER_TEST_PG_URL, every key in databases
    0-15 of the shared Redis and every row of the shared PostgreSQL table is still there, and
    nothing of the run's is left behind on them."""
    run_id = uuid.uuid4().hex[:8]
    overrides = {}
    if pointed_at_shared:
        overrides = {"TRACKER_TEST_REDIS_URL": f"{shared[0]}/0", "TRACKER_TEST_PG_URL": shared[1]}
    inner = _run_inner(run_id, **overrides)
    assert inner.returncode == 0, inner.stdout[-3000:] + inner.stderr[-2000:]
    assert " passed in " in inner.stdout.strip().splitlines()[-1]  # nothing skipped or deselected

    for db, (key, value) in foreign_keys.items():
        with redis.Redis.from_url(f"{shared[0]}/{db}") as client:
            assert client.get(key) == value.encode(), f"db {db} lost {key}"
    engine = create_engine(foreign_table)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, note FROM kept ORDER BY id")).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [(1, "a"), (2, "b"), (3, "c")]

    assert _redis_keys_with(shared[0], run_id) == []
    assert not [name for name in _databases(shared[1]) if run_id in name]
