"""The `tracker` command (typer). Each command builds the wiring, calls services, prints."""

from __future__ import annotations

from typing import Any

import typer

from tracker.cli import (  # noqa: F401 - importing registers them
    alerting,
    commands,
    corpus,
    desk,
    importing,
    knowledge,
    processes,
)
from tracker.cli.base import app


def _name_values(command: Any) -> None:
    """Label each option's value with the option's name (`--source SOURCE`), where typer
    would print the Python type (`<list[str]>`, `<int range>`); flags take no value. (Typer
    carries its own copy of click, so options are told by their attributes, not their class.)"""
    for param in command.params:
        option = getattr(param, "param_type_name", "") == "option"
        if option and not param.is_flag and not param.count and param.metavar is None:
            long = max(param.opts, key=len).lstrip("-")
            param.metavar = long.replace("-", "_").upper()
        elif getattr(param, "param_type_name", "") == "argument" and param.metavar is None:
            param.metavar = param.name.upper()
    for sub in getattr(command, "commands", {}).values():
        _name_values(sub)


def main() -> None:
    """Run the `tracker` command."""
    command = typer.main.get_command(app)
    _name_values(command)
    command()
