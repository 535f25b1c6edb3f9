"""scripts/services.sh names what it would install and installs nothing without a yes, unless
CI=true. apt-get here is a stand-in that records its arguments: the test must not install."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.conftest import ROOT

SCRIPT = ROOT / "scripts" / "services.sh"


def _path_without_redis(tmp_path: Path) -> tuple[str, Path]:
    """A PATH with the script's tools but no redis-server, and an apt-get that only records."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "env", "id", "ls", "sort", "tail", "seq", "sleep", "cat"):
        found = shutil.which(tool)
        assert found is not None, tool
        (bin_dir / tool).symlink_to(found)
    record = tmp_path / "apt-get.args"
    apt = bin_dir / "apt-get"
    apt.write_text(f'#!{shutil.which("bash")}\necho "$@" >> {record}\n')
    apt.chmod(0o755)
    return str(bin_dir), record


def _run(tmp_path: Path, **env: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    path, record = _path_without_redis(tmp_path)
    base = {k: v for k, v in os.environ.items() if k not in {"CI", "PATH"}}
    done = subprocess.run(
        [str(SCRIPT)],
        env={**base, "PATH": path, **env},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return done, record


def test_without_a_terminal_or_ci_it_names_the_packages_and_installs_nothing(tmp_path):
    """No terminal to ask in and CI unset: it says redis-server is missing and would be
    installed, that it is not installing, and never runs apt-get; `make test` goes on."""
    done, record = _run(tmp_path)
    assert done.returncode == 0, done.stderr
    assert "would be installed with apt-get: redis-server" in done.stderr
    assert "not installed" in done.stderr
    assert not record.exists()


def test_with_ci_true_it_installs_the_missing_packages_without_asking(tmp_path):
    """CI=true: the missing package goes to apt-get install at once, non-interactively."""
    done, record = _run(tmp_path, CI="true")
    assert done.returncode == 0, done.stderr
    assert "install -y -q redis-server" in record.read_text()
