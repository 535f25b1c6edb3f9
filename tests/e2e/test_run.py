"""`tracker run` on the embedded default: SQLite under var/, no broker server, Ctrl-C stops it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import wait_until
from tests.integration.helpers import PUTIN, json_channel
from tests.servers import item, rss
from tests.web.conftest import free_port

pytestmark = pytest.mark.e2e
TRACKER = str(Path(sys.executable).parent / "tracker")


def _processes_with(marker: str) -> list[int]:
    """Return the pids whose environment contains `marker` (our unique data dir)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_run_polls_alerts_to_console_and_stops_on_ctrl_c(config_dir, feeds, receiver, tmp_path):
    """One command runs everything; alerts print to the console and reach channels; Ctrl-C exits 0."""
    feeds.set("/wire.xml", rss(item("g1", "Putin agrees to energy halt", PUTIN)))
    config_dir.sources([config_dir.feed("wire", feeds.url("/wire.xml"))])
    config_dir.alerts(
        channels=[{"id": "console", "url": "console://"}, json_channel(receiver.address)],
        routes=[{"match": {"types": ["statement.*"]}, "channels": ["console", "desk"]}],
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env.update(
        TRACKER_CONFIG_DIR=str(config_dir.path),
        TRACKER_DATA_DIR=str(tmp_path / "var"),
        TRACKER_TICK_SECONDS="0.5",
        TRACKER_ALLOWED_NETWORKS="127.0.0.0/8",
        TRACKER_WEB_PORT=str(port := free_port()),
    )
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [TRACKER, "run"], env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        messages = receiver.wait_for(1, timeout=60)
        assert [m["title"] for m in messages] == ["New statement: Putin agrees to energy halt"], (
            log.read_text()[-3000:]
        )
        wait_until(
            lambda: "New statement: Putin agrees to energy halt" in log.read_text(),
            what="the console alert",
        )
        assert (tmp_path / "var" / "tracker.db").exists()
        assert (tmp_path / "var" / "broker").is_dir()
        _the_desk_shows_the_event(port, tmp_path / "var" / "initial-admin-password")

        started = time.monotonic()
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C sends to the foreground process group
        assert proc.wait(timeout=40) == 0, log.read_text()[-3000:]
        assert time.monotonic() - started < 40
        wait_until(
            lambda: not _processes_with(str(tmp_path / "var")),
            timeout=10,
            what="every child to exit",
        )
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    output = log.read_text()
    assert "database: created" in output
    assert "Press Ctrl-C to stop." in output
    assert "Warm shutdown" in output
    assert "Traceback" not in output
    password = (tmp_path / "var" / "initial-admin-password").read_text().strip()
    assert password not in output  # the first admin's password is in the file, never printed


def _the_desk_shows_the_event(port: int, password_file: Path) -> None:
    """The desk is served too: the first admin logs in and finds the statement on the queue."""
    assert oct(password_file.stat().st_mode & 0o777) == "0o600"
    password = password_file.read_text().strip()
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", trust_env=False, timeout=10) as web:
        wait_until(lambda: _up(web), what="the desk to answer")
        login = web.post("/login", data={"username": "admin", "password": password})
        assert login.status_code == 303
        titles = [
            (e["data"].get("statement") or {}).get("title")
            for e in web.get("/api/v1/events").json()["items"]
        ]
        assert "Putin agrees to energy halt" in titles


def _up(web: httpx.Client) -> bool:
    try:
        return web.get("/healthz").status_code == 200
    except httpx.HTTPError:
        return False


def test_workers_do_not_outlive_a_killed_supervisor(config_dir, tmp_path):
    """If `tracker run` itself is SIGKILLed, its worker shuts down instead of running orphaned."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env.update(
        TRACKER_CONFIG_DIR=str(config_dir.path),
        TRACKER_DATA_DIR=str(tmp_path / "var"),
        TRACKER_WEB_PORT=str(free_port()),
    )
    marker = str(tmp_path / "var")
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([TRACKER, "run"], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: "ready" in log.read_text(), timeout=60, what="the worker to be ready")
        assert len(_processes_with(marker)) >= 3  # supervisor, worker, its pool
        proc.kill()
        proc.wait()
        wait_until(
            lambda: not _processes_with(marker), timeout=30, what="the orphaned worker to exit"
        )
    finally:
        for pid in _processes_with(marker):
            os.kill(pid, signal.SIGKILL)
