"""Plain-text tables for the terminal, and the times commands are given."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import typer

_MINUTE = 60


def when(value: datetime | None, now: datetime | None = None) -> str:
    """Return a short UTC time, or `-`."""
    if value is None:
        return "-"
    text = value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    if now is not None and value > now:
        seconds = int((value - now).total_seconds())
        return (
            f"in {seconds // _MINUTE}m{seconds % _MINUTE:02d}s"
            if seconds >= _MINUTE
            else f"in {seconds}s"
        )
    return text


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, max_width: int = 60) -> str:
    """Return rows as aligned columns; long cells are cut with `...`."""
    cells = [
        [c if len(c) <= max_width else c[: max_width - 3] + "..." for c in row] for row in rows
    ]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return "\n".join(lines)


def since_time(value: str, now: datetime) -> datetime:
    """Read a `--since`: an ISO time (UTC when it has no offset) or an age (30m, 2h, 7d)."""
    match = value.strip().lower()
    units = {"m": 60, "h": 3600, "d": 86400}
    if match[-1:] in units and match[:-1].isdigit():
        return now - timedelta(seconds=int(match[:-1]) * units[match[-1]])
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(
            "use an ISO time (2025-03-18T12:00) or an age (30m, 2h, 7d)"
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
