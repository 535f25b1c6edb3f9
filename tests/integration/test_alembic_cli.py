"""The `alembic` command line (alembic.ini) for making migrations: it works on the database the
tracker's settings name, and `alembic check` says whether the models need a migration."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ALEMBIC = str(Path(sys.executable).parent / "alembic")


def _alembic(database_url: str, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TRACKER_DATABASE_URL": database_url}
    return subprocess.run(
        [ALEMBIC, "-c", str(ROOT / "alembic.ini"), *argv],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )


def test_a_database_at_head_matches_the_models(database_url):
    """On a migrated SQLite and PostgreSQL database, `alembic check` finds nothing to migrate
    and `alembic current` names the newest revision."""
    check = _alembic(database_url, "check")
    assert check.returncode == 0, check.stdout
    assert "No new upgrade operations detected." in check.stdout
    current = _alembic(database_url, "current")
    heads = _alembic(database_url, "heads")
    assert current.stdout.split()[0] == heads.stdout.split()[0]


def test_a_database_that_differs_from_the_models_fails_the_check(tmp_path):
    """A table the models do not have makes `alembic check` fail, naming it; autogenerate would
    write the migration that drops it."""
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    assert _alembic(url, "upgrade", "head").returncode == 0
    with sqlite3.connect(tmp_path / "tracker.db") as connection:
        connection.execute("CREATE TABLE stray (id INTEGER PRIMARY KEY)")
    check = _alembic(url, "check")
    assert check.returncode != 0
    assert "New upgrade operations detected" in check.stdout
    assert "'remove_table'" in check.stdout
    assert "stray" in check.stdout
