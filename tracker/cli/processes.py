"""`tracker worker` and `tracker beat`: the Celery processes of the Procfile, one each.

Each checks the settings, configuration and (for the worker) the database first, so a
mistake is one clear line and not a Celery traceback, then becomes `python -m workers ...`
by exec: the process manager's signals (SIGTERM: finish running tasks) reach Celery itself.
The CLI never imports the Celery app (`tracker` must not import `workers`).
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from tracker.cli.base import app, wiring

PASS_ON = {"allow_extra_args": True, "ignore_unknown_options": True}


def _exec(argv: list[str]) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, "-m", "workers", *argv])  # noqa: S606 - our own interpreter and module


@app.command(context_settings=PASS_ON)
def worker(
    ctx: typer.Context,
    concurrency: Annotated[
        int | None,
        typer.Option(help="Worker processes (default: TRACKER_WORKER_CONCURRENCY).", min=1),
    ] = None,
    beat: Annotated[
        bool, typer.Option("--beat", help="Also run the scheduler in this process (one only).")
    ] = False,
) -> None:
    """Run a Celery worker on the configured broker (other options go to `celery worker`)."""
    with wiring() as tracker:
        tracker.config()
        settings = tracker.settings
    argv = [
        "worker",
        "--concurrency",
        str(concurrency or settings.worker_concurrency),
        "--loglevel",
        settings.log_level,
        "--without-mingle",
        "--without-gossip",
    ]
    _exec([*argv, *(["--beat"] if beat else []), *ctx.args])


@app.command(context_settings=PASS_ON)
def beat(ctx: typer.Context) -> None:
    """Run the Celery beat scheduler: exactly one per deployment (options go to `celery beat`)."""
    with wiring(schema=False) as tracker:
        tracker.config()
        settings = tracker.settings
    _exec(["beat", "--loglevel", settings.log_level, *ctx.args])
