"""Fixtures of the integration tests: the `tracker` command as a script runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

TRACKER = str(Path(sys.executable).parent / "tracker")


@pytest.fixture
def cli(database_url, config_dir, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env.update(
        TRACKER_DATABASE_URL=database_url,
        TRACKER_CONFIG_DIR=str(config_dir.path),
        TRACKER_DATA_DIR=str(tmp_path / "var"),
        TRACKER_ALLOWED_NETWORKS="127.0.0.0/8",
    )

    def run(*args: str, expect: int = 0, **extra: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [TRACKER, *args],
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == expect, result.stdout + result.stderr
        return result

    run.env = env  # type: ignore[attr-defined] - for tests that start long-running commands
    return run
