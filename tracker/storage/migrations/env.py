"""Alembic environment: runs on the connection that `tracker init` passes in, or, from the
`alembic` command line (alembic.ini), on the database the tracker's settings name."""

from typing import Any

from alembic import context
from sqlalchemy import Connection, Float

from tracker.storage.models import Base


def _compare_type(
    _context: Any, _inspected: Any, _column: Any, inspected: Any, declared: Any
) -> bool | None:
    """Float and Double are one type on both databases (SQLite REAL, PostgreSQL double
    precision): SQLAlchemy 2.1 maps `Mapped[float]` to Double where migrations wrote Float, and
    that is no change. None leaves every other comparison to Alembic."""
    if isinstance(inspected, Float) and isinstance(declared, Float):
        return False
    return None


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying
        compare_type=_compare_type,
    )
    with context.begin_transaction():
        context.run_migrations()


if "connection" in context.config.attributes:
    _run(context.config.attributes["connection"])
else:
    from tracker.settings import load_settings
    from tracker.storage.database import make_engine

    engine = make_engine(load_settings().database)
    try:
        with engine.begin() as connection:
            _run(connection)
    finally:
        engine.dispose()
