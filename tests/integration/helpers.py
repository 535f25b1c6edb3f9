"""Helpers for integration tests: run the pipeline inline and read back what it stored."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import yaml
from sqlalchemy import func, select

from tests.servers import item, rss
from tracker.bootstrap import Tracker, utcnow
from tracker.services import inline
from tracker.services.inline import RunSummary
from tracker.storage.models import DeliveryRow, EventRow, SourceRow, StatementRow, VersionRow

PUTIN = (
    "Russian President Vladimir Putin agreed in a call with Donald Trump to a 30-day halt on "
    "strikes against Ukraine's energy infrastructure, the Kremlin said."
)
PUTIN_EDITED = (
    "Russian President Vladimir Putin agreed in a call with Donald Trump to a 30-day halt on "
    "strikes against Ukraine's energy infrastructure, but rejected a full ceasefire, the Kremlin said."
)
WEATHER = "Sunny skies are expected in Paris this weekend with light winds."


def set_review(config_dir: Any, **settings: object) -> None:
    """Give the test's copy of the ceasefire topic file a `review:` section."""
    path = config_dir.path / "topics" / "ukraine-ceasefire.yaml"
    path.write_text(path.read_text() + "\n" + yaml.safe_dump({"review": settings}))


def held_positions(tracker: Tracker, config_dir: Any, feeds: Any, count: int) -> list[str]:
    """Poll `count` statements of different actors whose claims all wait for review (the
    threshold is 1.0); return the ids of their needs_review position events, oldest first."""
    set_review(config_dir, min_confidence=1.0)
    texts = [
        "Putin rejected a full ceasefire.",
        "Zelenskiy rejected any territorial concessions.",
        "Trump agreed to a full ceasefire.",
    ][:count]
    config_dir.sources([config_dir.feed("held", feeds.url("/held.xml"))])
    feeds.set("/held.xml", rss(*(item(f"h{i}", f"Held {i}", t) for i, t in enumerate(texts))))
    run_once(tracker)
    found = [e for e in events(tracker, "position.new") if e.status == "needs_review"]
    assert len(found) == count, [e.subject for e in found]
    return [e.id for e in found]


def run_once(
    tracker: Tracker, only: list[str] | None = None, clock: Callable[[], datetime] = utcnow
) -> RunSummary:
    """Poll and deliver inline, as `tracker poll --once` does."""
    return inline.poll_once(
        tracker.db,
        tracker.runtime(),
        fetcher=tracker.fetch,
        senders=tracker.senders,
        clock=clock,
        only=only,
    )


def events(tracker: Tracker, *types: str) -> list[EventRow]:
    with tracker.db.reader() as uow:
        rows = uow.events.list(limit=10_000)
    return [r for r in rows if not types or r.type in types]


def source(tracker: Tracker, source_id: str) -> SourceRow:
    with tracker.db.reader() as uow:
        row = uow.sources.get(source_id)
    assert row is not None
    return row


def count(tracker: Tracker, model: Any) -> int:
    with tracker.db.reader() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def statements(tracker: Tracker) -> list[StatementRow]:
    with tracker.db.reader() as uow:
        return list(uow.session.scalars(select(StatementRow).order_by(StatementRow.id)))


def versions(tracker: Tracker) -> list[VersionRow]:
    with tracker.db.reader() as uow:
        return list(uow.session.scalars(select(VersionRow).order_by(VersionRow.id)))


def deliveries(tracker: Tracker) -> list[DeliveryRow]:
    with tracker.db.reader() as uow:
        return list(uow.session.scalars(select(DeliveryRow).order_by(DeliveryRow.id)))


def json_channel(receiver_address: str, channel_id: str = "desk") -> dict[str, object]:
    return {"id": channel_id, "url": f"json://{receiver_address}/alerts"}


def alias_bomb() -> str:
    """A 'billion laughs' YAML file: 9 levels of 9 aliases, 387 million values expanded."""
    lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [
        f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]"
        for prev, name in zip("abcdefgh", "bcdefghi", strict=True)
    ]
    return "\n".join(lines) + "\n"
