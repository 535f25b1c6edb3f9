"""The start-up schema check: a current database passes without Alembic, and one that is
behind, ahead or never initialised is refused with the command that fixes it."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import text

from tracker.storage.database import Database
from tracker.storage.schema import SchemaOutOfDate, ensure_current, head_revision


def test_a_current_database_passes_the_check_without_importing_alembic(database_url):
    """`tracker poll --once` starts without Alembic when the database is at the newest
    migration (its import is a fifth of the start-up)."""
    probe = (
        "import sys\n"
        "from tracker.storage.database import Database\n"
        "from tracker.storage.schema import ensure_current\n"
        f"db = Database({database_url!r})\n"
        "ensure_current(db.engine)\n"
        "db.dispose()\n"
        "print(any(m == 'alembic' or m.startswith('alembic.') for m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("stamp", "said"),
    [
        ("0001", "at revision 0001, code expects"),
        ("9999", "at revision 9999"),
        (None, "not initialised"),
    ],
)
def test_a_database_not_at_the_newest_migration_is_refused(database_url, stamp, said):
    """A database stamped at an older (or unknown) migration, or with no stamp at all, is
    refused with the way out: `tracker init`."""
    db = Database(database_url)
    try:
        with db.engine.begin() as conn:
            if stamp is None:
                conn.execute(text("DELETE FROM alembic_version"))
            else:
                conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": stamp})
        with pytest.raises(SchemaOutOfDate, match="run `tracker init`") as raised:
            ensure_current(db.engine)
        assert said in str(raised.value)
    finally:  # the PostgreSQL database is the run's: leave it at the head
        with db.engine.begin() as conn:
            conn.execute(text("DELETE FROM alembic_version"))
            conn.execute(
                text("INSERT INTO alembic_version (version_num) VALUES (:v)"),
                {"v": head_revision()},
            )
    ensure_current(db.engine)  # back at the head: passes again
    db.dispose()
