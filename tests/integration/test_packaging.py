"""What ships: the wheel gives a `tracker` command with its migrations; the deploy files are sound."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_has_the_command_the_migrations_and_the_workers(tmp_path):
    """`pip install .` installs `tracker` and `tracker-worker`, the Alembic scripts and `workers`."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "tracker/storage/migrations/env.py" in names
    assert "tracker/storage/migrations/versions/0001_initial_schema.py" in names
    assert "workers/tasks.py" in names
    (entry_points,) = [n for n in names if n.endswith("entry_points.txt")]
    scripts = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "tracker = tracker.cli:main" in scripts
    assert "tracker-worker = workers.__main__:main" in scripts


def test_procfile_runs_workers_and_one_beat():
    """The Procfile names a worker, exactly one beat, and applies migrations on release."""
    lines = dict(
        line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line.strip()
    )
    assert lines["release"].strip() == "tracker init"
    assert lines["worker"].strip() == "tracker worker"
    assert lines["beat"].strip() == "tracker beat"


def test_compose_file_wires_postgres_redis_workers_and_beat():
    """docker-compose.yml: PostgreSQL and Redis with health checks, init first, workers and one beat."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "init", "worker", "beat"} <= set(services)
    for name in ("worker", "beat"):
        env = services[name]["environment"]
        assert env["TRACKER_DATABASE_URL"].startswith("postgresql://")
        assert env["TRACKER_BROKER_URL"].startswith("redis://redis:6379")
        assert services[name]["depends_on"]["init"]["condition"] == "service_completed_successfully"
    assert services["beat"]["command"] == ["tracker", "beat"]
    assert services["worker"]["command"][:2] == ["tracker", "worker"]
    assert "--beat" not in services["worker"]["command"]
    assert "healthcheck" in services["postgres"]
    assert "healthcheck" in services["redis"]


def test_dockerfile_installs_the_lock_then_the_project_alone():
    """The image gets the lock's pins, hashes checked, and the project with nothing resolved."""
    installs = [
        line.removeprefix("RUN ").strip()
        for line in (ROOT / "Dockerfile").read_text().splitlines()
        if "pip install" in line
    ]
    assert installs == [
        "pip install --no-cache-dir --require-hashes -r requirements.txt",
        "pip install --no-cache-dir --no-deps . && pip check",
    ]
    # one block a pin: `name==version ; markers \` then its `--hash=` lines
    pins = re.split(r"\n(?=[a-z0-9])", (ROOT / "requirements.txt").read_text().split("\n", 2)[2])
    assert len(pins) > 50
    assert all(re.match(r"[a-z0-9._-]+==\S+ ", pin) and "--hash=sha256:" in pin for pin in pins)
    assert any(pin.startswith("lxml-html-clean==") for pin in pins)
