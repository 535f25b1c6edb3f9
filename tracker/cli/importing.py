"""`tracker sources import FILE.opml`: a feed reader's export, as sources."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from tracker.cli.base import fail, sources_app
from tracker.config.errors import ConfigError


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
    from tracker.config.loader import load_config
    from tracker.config.models import parse_duration
    from tracker.config.opml import (
        MAX_BYTES,
        NotAppendable,
        OpmlError,
        append_sources,
        plan_import,
        read_opml,
    )
    from tracker.settings import SettingsError, load_settings

    try:
        settings = load_settings()
    except SettingsError as exc:
        fail(str(exc))
    config_dir = settings.config_dir
    try:
        with file.open("rb") as opened:
            data = opened.read(MAX_BYTES + 1)  # one byte over the cap is enough to refuse
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror or exc}")
    try:
        config = load_config(config_dir)
        feeds, skipped = read_opml(data)
        seconds = float(str(parse_duration(interval)))
    except (ConfigError, OpmlError, ValueError) as exc:
        fail(f"{file}: {exc}" if isinstance(exc, OpmlError) else str(exc))
    plan = plan_import(
        feeds,
        skipped,
        configured={s.id: s.url for s in config.sources},
        topics=topic or [t.id for t in config.topics],
        interval=seconds,
        speaker=speaker,
    )
    for entry in plan.added:
        typer.echo(f"{'would add' if dry_run else 'add'} {entry['id']}: {entry['url']}")
    for left in plan.skipped:
        typer.echo(f"skip {left.title}: {left.reason}")
    if plan.added:
        sources = config_dir / "sources.yaml"
        try:
            text = append_sources(_text(sources), plan.added)
        except NotAppendable as exc:
            fail(str(exc))
        _check(config_dir, text)  # a dry run says whether the import would validate, too
        if not dry_run:
            _replace(sources, text)
    typer.echo(plan.summary(dry_run=dry_run))


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def _check(config_dir: Path, text: str) -> None:
    """Load the whole configuration with the new sources.yaml; fail (writing nothing) if it
    would not validate."""
    from tracker.config.loader import load_config

    with tempfile.TemporaryDirectory() as scratch:
        trial = Path(scratch) / "config"
        shutil.copytree(config_dir, trial)
        (trial / "sources.yaml").write_text(text, encoding="utf-8")
        try:
            load_config(trial)
        except ConfigError as exc:
            fail(f"the imported sources would not validate; nothing written:\n{exc}")


def _replace(target: Path, text: str) -> None:
    """Write `target` atomically, keeping its permissions (a worker may run as another user)."""
    mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else 0o644
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".sources.", suffix=".yaml")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        Path(temp).chmod(mode)
        Path(temp).replace(target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
