"""End-to-end fixtures: real Celery worker processes (with beat) on Redis, as the Procfile runs them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import RUN_ID, RedisTarget
from tests.servers import wait_until  # noqa: F401 - the e2e tests import it from here


class Worker:
    """A `python -m workers worker --beat` process group that a test can kill and restart."""

    def __init__(self, env: dict[str, str], log: Path, *, beat: bool = True) -> None:
        self.env, self.log, self.beat = env, log, beat
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Worker:
        argv = [
            sys.executable,
            "-m",
            "workers",
            "worker",
            "--concurrency",
            "2",
            "--loglevel",
            "INFO",
            "--without-mingle",
            "--without-gossip",
        ]
        if self.beat:
            argv.append("--beat")
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                argv, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        return self

    def kill(self) -> None:
        """SIGKILL the worker and all its children at once, as a crash would."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture
def redis_key_prefix() -> str:
    """Before every Redis key the test's workers make (the broker's and the host buckets)."""
    return f"tracker-test-{RUN_ID}-{uuid.uuid4().hex[:8]}:"


@pytest.fixture
def broker_url(redis_target: RedisTarget, redis_key_prefix: str) -> Iterator[str]:
    """The run's Redis as the broker: a fresh database of the own server, or the named
    external one; afterwards the keys under the test's prefix go (never a FLUSHDB there)."""
    url = redis_target.fresh_url()
    yield url
    redis_target.forget(url, f"{redis_key_prefix}*")


@pytest.fixture
def worker_env(database_url, broker_url, redis_key_prefix, config_dir, tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env.update(
        TRACKER_DATABASE_URL=database_url,
        TRACKER_BROKER_URL=broker_url,
        TRACKER_REDIS_KEY_PREFIX=redis_key_prefix,
        TRACKER_QUEUE=f"test-{RUN_ID}-{uuid.uuid4().hex[:8]}",  # found if left unprefixed
        TRACKER_CONFIG_DIR=str(config_dir.path),
        TRACKER_DATA_DIR=str(tmp_path / "var"),
        TRACKER_TICK_SECONDS="0.5",
        TRACKER_ALLOWED_NETWORKS="127.0.0.0/8",
        TRACKER_LOG_FORMAT="json",
    )
    return env


@pytest.fixture
def start_worker(worker_env, tmp_path) -> Iterator[Callable[..., Worker]]:
    workers: list[Worker] = []

    def start(*, beat: bool = True, **extra: str) -> Worker:
        log = tmp_path / f"worker-{len(workers)}.log"
        worker = Worker({**worker_env, **extra}, log, beat=beat).start()
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()
