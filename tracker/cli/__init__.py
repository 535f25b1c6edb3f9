"""The `tracker` command (typer). Each command builds the wiring, calls services, prints."""

from __future__ import annotations

from tracker.cli import (  # noqa: F401 - importing registers them
    alerting,
    commands,
    corpus,
    desk,
    importing,
    knowledge,
)
from tracker.cli.base import app


def main() -> None:
    """Run the `tracker` command."""
    app()
