"""`tracker sources import FILE.opml`: a feed reader's export, as sources."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from tracker.cli.base import fail, sources_app
from tracker.config.errors import ConfigError
from tracker.config.loader import load_config
from tracker.config.models import parse_duration
from tracker.config.opml import OpmlError, append_sources, plan_import, read_opml
from tracker.settings import SettingsError, load_settings


@sources_app.command("import")
def sources_import(
    file: Annotated[Path, typer.Argument(help="An OPML file (a feed reader's export).")],
    topic: Annotated[
        list[str] | None,
        typer.Option("--topic", help="Topic of the new sources (repeatable; default: all)."),
    ] = None,
    interval: Annotated[str, typer.Option(help="Poll interval: seconds, or 5m, 1h.")] = "15m",
    speaker: Annotated[str | None, typer.Option(help="Whose statements the feeds carry.")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be added; change nothing.")
    ] = False,
) -> None:
    """Add the feeds of an OPML file to sources.yaml (feeds already there are skipped)."""
    try:
        settings = load_settings()
    except SettingsError as exc:
        fail(str(exc))
    config_dir = settings.config_dir
    try:
        data = file.read_bytes()
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror or exc}")
    try:
        config = load_config(config_dir)
        feeds, skipped = read_opml(data)
        seconds = float(str(parse_duration(interval)))
    except (ConfigError, OpmlError, ValueError) as exc:
        fail(f"{file}: {exc}" if isinstance(exc, OpmlError) else str(exc))
    topics = topic or [t.id for t in config.topics]
    plan = plan_import(
        feeds,
        skipped,
        configured={s.id: s.url for s in config.sources},
        topics=topics,
        interval=seconds,
        speaker=speaker,
    )
    for entry in plan.added:
        typer.echo(f"{'would add' if dry_run else 'add'} {entry['id']}: {entry['url']}")
    for left in plan.skipped:
        typer.echo(f"skip {left.title}: {left.reason}")
    if plan.added and not dry_run:
        _write(config_dir, append_sources(_text(config_dir / "sources.yaml"), plan.added))
    verb = "would add" if dry_run else "added"
    typer.echo(f"{verb} {len(plan.added)} source(s), skipped {len(plan.skipped)}")


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def _write(config_dir: Path, text: str) -> None:
    """Check the configuration with the new sources.yaml, then put it in place atomically."""
    with tempfile.TemporaryDirectory() as scratch:
        trial = Path(scratch) / "config"
        shutil.copytree(config_dir, trial)
        (trial / "sources.yaml").write_text(text, encoding="utf-8")
        try:
            load_config(trial)
        except ConfigError as exc:
            fail(f"the imported sources would not validate; nothing written:\n{exc}")
    target = config_dir / "sources.yaml"
    fd, temp = tempfile.mkstemp(dir=config_dir, prefix=".sources.", suffix=".yaml")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    Path(temp).replace(target)
