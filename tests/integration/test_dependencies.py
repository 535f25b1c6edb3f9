"""`make check`'s dependency rule: an import the project does not declare fails it.

deptry runs, as `make check` runs it, on a copy of the project, once as it is and once with one
line added; the copy keeps the real tree out of it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPTRY = str(Path(sys.executable).parent / "deptry")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of pyproject.toml, tracker/ and workers/."""
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    for package in ("tracker", "workers"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("*.pyc"))
    return tmp_path


def _deptry(project: Path) -> subprocess.CompletedProcess[str]:
    """Run deptry as `make check` does; its report (on stderr) goes to stdout."""
    return subprocess.run(
        [DEPTRY, "--no-ansi", "tracker", "workers"],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )


def _add_import(path: Path, line: str) -> None:
    text = path.read_text()
    head, sep, rest = text.partition("from __future__ import annotations\n")
    path.write_text(f"{head}{sep}\n{line}\n{rest}" if sep else f"{line}\n{text}")


def test_the_project_as_it_is_declares_every_import(project):
    """Every module tracker/ and workers/ import is declared in pyproject.toml."""
    run = _deptry(project)
    assert run.returncode == 0, run.stdout


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ("import anyio", "DEP003"),  # installed, but only as httpx's dependency
        ("import nosuchmodule_anywhere", "DEP001"),  # not installed at all
        ("import pytest", "DEP004"),  # a dev dependency, absent from an installed image
    ],
)
def test_an_undeclared_import_fails_the_check_naming_its_file_and_line(project, line, rule):
    """One added import of a module pyproject.toml does not declare for the code fails deptry,
    which names the file, the line and the module."""
    _add_import(project / "tracker" / "guard.py", line)
    run = _deptry(project)
    assert run.returncode == 1
    module = line.split()[1]
    (report,) = [row for row in run.stdout.splitlines() if f"'{module}'" in row]
    assert report.startswith("tracker/guard.py:")
    assert rule in report


def test_a_declared_dependency_nothing_imports_fails_the_check(project):
    """A dependency declared but imported nowhere (and not listed as on purpose) fails too."""
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text()
    pyproject.write_text(
        text.replace('    "alembic>=1.13,<2",\n', '    "alembic>=1.13,<2",\n    "six",\n', 1)
    )
    run = _deptry(project)
    assert run.returncode == 1
    assert any(
        "DEP002 'six' defined as a dependency but not used" in r for r in run.stdout.splitlines()
    )
