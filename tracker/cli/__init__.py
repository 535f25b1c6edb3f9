"""The `tracker` command (typer). Each command builds the wiring, calls services, prints."""

from __future__ import annotations

from tracker.cli import alerting, commands, desk, importing, knowledge  # noqa: F401 - importing registers them
from tracker.cli.base import app


def main() -> None:
    """Run the `tracker` command."""
    app()
