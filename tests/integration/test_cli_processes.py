"""`tracker worker` and `tracker beat` as the Procfile runs them: two processes on the
configured broker (here the embedded one: files under the test's data dir) that poll."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import TRACKER
from tests.integration.helpers import PUTIN
from tests.servers import item, rss, wait_until


@pytest.fixture
def start(cli, tmp_path) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """Start `tracker <args>` in a session of its own, with the `cli` fixture's environment;
    stop what is left at the end."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    started: list[subprocess.Popen[bytes]] = []

    def run(*args: str, log: Path, **extra: str) -> subprocess.Popen[bytes]:
        with log.open("ab") as out:
            proc = subprocess.Popen(
                [TRACKER, *args],
                env={**env, **cli.env, **extra},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        started.append(proc)
        return proc

    yield run
    for proc in started:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_worker_and_beat_poll_a_source_and_stop_warmly(cli, start, config_dir, feeds, tmp_path):
    """Beat sends the tick, the worker takes it and polls the source; SIGTERM stops both
    with exit code 0 (Celery itself gets the signal: the command became it)."""
    feeds.set("/wire.xml", rss(item("g1", "Putin agrees to energy halt", PUTIN)))
    config_dir.sources([config_dir.feed("wire", feeds.url("/wire.xml"), interval=10)])
    cli("init")
    fast = {"TRACKER_TICK_SECONDS": "0.5"}
    worker = start("worker", "--concurrency", "1", log=tmp_path / "worker.log", **fast)
    beat = start("beat", log=tmp_path / "beat.log", **fast)

    def polled() -> bool:
        (row,) = [json.loads(line) for line in cli("sources", "list", "--json").stdout.splitlines()]
        return row["polls"] >= 1 and row["status"] == "ok"

    wait_until(polled, 90.0, "the worker to poll the source")
    assert "statement.new" in cli("events", "list").stdout
    assert worker.poll() is None
    assert beat.poll() is None
    for proc in (worker, beat):
        proc.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=30) == 0, (tmp_path / "worker.log").read_text()
    assert beat.wait(timeout=30) == 0, (tmp_path / "beat.log").read_text()
    assert "celery@" in (tmp_path / "worker.log").read_text()
    assert "beat" in (tmp_path / "beat.log").read_text()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_worker_refuses_a_broken_configuration_in_one_line(cli, config_dir):
    """A broken alerts.yaml stops `tracker worker` and `tracker beat` before Celery starts,
    naming file, line and field."""
    (config_dir.path / "alerts.yaml").write_text("routes: [{channels: [nowhere]}]\n")
    for command in ("worker", "beat"):
        result = cli(command, expect=2)
        assert "alerts.yaml:1: routes[0].channels[0]: unknown channel 'nowhere'" in result.stderr
        assert "Traceback" not in result.stderr
