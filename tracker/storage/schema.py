"""Schema migrations (Alembic), applied by `tracker init` and checked by every process at start."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
# `revision = '0007'` and `down_revision = '0006'` (or None) as the migration template writes them
_REVISION = re.compile(
    r"""^(down_revision|revision)(?:: *[\w\[\]| ]+)? *= *(?:['"]([^'"]+)['"]|None) *$""",
    re.MULTILINE,
)


class SchemaOutOfDate(Exception):
    """The database is not at the schema this code expects; `tracker init` fixes it."""


def _config() -> Config:
    # Alembic is imported only to migrate, or when the quick check below cannot decide:
    # it takes a fifth of `tracker poll --once`'s start-up otherwise (issue 13).
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str | None:
    """Return the newest migration this code ships."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """Return the migration the database is at (None when never initialised)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def migrate(engine: Engine) -> tuple[str | None, str | None]:
    """Upgrade the database to the newest migration; return (revision before, revision after)."""
    from alembic import command

    before = current_revision(engine)
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return before, current_revision(engine)


def _shipped_head() -> str | None:
    """The newest migration, read from the files' `revision` lines without Alembic; None
    when a file is not in the simple form (a merge, say): then Alembic decides."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found = {m[1]: m[2] for m in _REVISION.finditer(path.read_text(encoding="utf-8"))}
        if "revision" not in found or "down_revision" not in found:
            return None
        revisions.add(found["revision"])
        parents.add(found["down_revision"])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def _stamped(engine: Engine) -> str | None:
    """The revision in the database's alembic_version table, read with one query."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        rows = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    return str(rows[0][0]) if len(rows) == 1 else None


def ensure_current(engine: Engine) -> None:
    """Raise SchemaOutOfDate unless the database is at the newest migration."""
    stamped = _stamped(engine)
    if stamped is not None and stamped == _shipped_head():
        return  # the common case, decided without importing Alembic
    current, head = current_revision(engine), head_revision()
    if current != head:
        state = (
            "not initialised" if current is None else f"at revision {current}, code expects {head}"
        )
        raise SchemaOutOfDate(f"the database is {state}: run `tracker init`")
