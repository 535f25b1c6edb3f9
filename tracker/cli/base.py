"""What every `tracker` command shares: the typer apps, the wiring, and clear failures."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from tracker.config.errors import ConfigError

if TYPE_CHECKING:
    from tracker.bootstrap import Tracker


def group(help: str) -> typer.Typer:  # noqa: A002 - typer's own name for it
    """A command group. Help is click's plain layout: typer's rich one labels every flag
    `<bool>` and every option with its Python type (`<list[str]>`), which a user reads as a
    value to give."""
    return typer.Typer(no_args_is_help=True, rich_markup_mode=None, help=help)


# Plain help, not rich's panels: rendering them imports rich and markdown-it, which alone
# doubles the start-up of `tracker --help` (issue 13 asks for under 0.3 s).
app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    help="Track statements, positions and key facts; alert on change.",
)
sources_app = group(help="The watched sources.")
events_app = group(help="Change events (the outbox).")
deliveries_app = group(help="Deliveries of events to channels.")
app.add_typer(sources_app, name="sources")
app.add_typer(events_app, name="events")
app.add_typer(deliveries_app, name="deliveries")

JsonFlag = Annotated[bool, typer.Option("--json", help="One JSON object per line.")]


def fail(message: str, code: int = 2) -> None:
    """Print an error to stderr and exit."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@contextmanager
def wiring(*, schema: bool = True) -> Iterator[Tracker]:
    """Build the wiring; turn settings, config and schema problems into clear exits."""
    # Imported here, not at the top: `tracker --help` and the commands that need no wiring
    # start without SQLAlchemy, pydantic-settings and structlog (issue 13: under 0.3 s).
    from sqlalchemy.exc import OperationalError

    from tracker.bootstrap import bootstrap
    from tracker.logs import configure_logging
    from tracker.settings import SettingsError, load_settings
    from tracker.storage.schema import SchemaOutOfDate, ensure_current

    try:
        settings = load_settings()
        configure_logging(settings.log_level, settings.log_format)
        tracker = bootstrap(settings)
        if schema:
            ensure_current(tracker.db.engine)
    except (SettingsError, SchemaOutOfDate) as exc:
        fail(str(exc))
    except OperationalError as exc:
        fail(f"cannot reach the database at {_safe_url(settings.database)}: {exc.orig}")
    try:
        yield tracker
    except ConfigError as exc:
        fail(f"invalid configuration:\n{exc}")
    except OperationalError as exc:
        fail(f"cannot reach the database at {_safe_url(settings.database)}: {exc.orig}")
    finally:
        tracker.close()


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
