"""The events a statement raises: first seen (`statement.new`) and edited (`statement.edited`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tracker.domain.diff import word_diff
from tracker.domain.events import DEFAULT_SEVERITY, Event
from tracker.domain.sources import SourceSpec
from tracker.domain.statements import Observation

MAX_EVENT_TEXT = 4000  # an event carries a statement's text up to this many characters
# a statement first seen this long after it was published is announced as an older one
LATE_AFTER = timedelta(hours=24)


def _capped(text: str) -> dict[str, Any]:
    if len(text) <= MAX_EVENT_TEXT:
        return {"text": text, "truncated": False}
    return {"text": text[:MAX_EVENT_TEXT], "truncated": True}


def _statement(statement_id: int, obs: Observation, version: int) -> dict[str, Any]:
    return {
        "id": statement_id,
        "key": obs.key,
        "url": obs.url,
        "title": obs.title,
        **_capped(obs.text),
        "published": obs.published.isoformat() if obs.published else None,
        "version": version,
        "fingerprint": obs.fingerprint,
    }


def statement_event(
    event_type: str,
    *,
    source: SourceSpec,
    statement_id: int,
    obs: Observation,
    version: int,
    topics: dict[str, list[str]],
    now: datetime,
    previous: tuple[str, str, int] | None = None,
) -> Event:
    """Build a statement event; `previous` = (title, text, version) of the text it replaced."""
    data: dict[str, Any] = {
        "statement": _statement(statement_id, obs, version),
        "source": source.public(),
        "topics": sorted(topics),
        "matched_terms": topics,
        "seen": now.isoformat(),
    }
    if event_type == "statement.new" and obs.published and now - obs.published > LATE_AFTER:
        data["late"] = True  # an archive page, a feed's old items: not news
    if previous is not None:
        old_title, old_text, old_version = previous
        data["previous"] = {"title": old_title, **_capped(old_text), "version": old_version}
        data["edit"] = "text_added" if not old_text.strip() else "revised"
        data["diff"] = word_diff(f"{old_title}\n{old_text}", f"{obs.title}\n{obs.text}")
    return Event(
        type=event_type,
        source_id=source.id,
        subject=f"statements/{statement_id}",
        time=now,
        data=data,
        severity=DEFAULT_SEVERITY[event_type],
        topics=tuple(sorted(topics)),
        statement_id=statement_id,
    )


def source_event(
    event_type: str, *, source: SourceSpec, now: datetime, failures: int, error: str | None
) -> Event:
    """Build a `source.failing` or `source.recovered` event."""
    data: dict[str, Any] = {"source": source.public(), "consecutive_failures": failures}
    if error is not None:
        data["error"] = error
    return Event(
        type=event_type,
        source_id=source.id,
        subject=f"sources/{source.id}",
        time=now,
        data=data,
        severity=DEFAULT_SEVERITY[event_type],
        topics=source.topics,
    )
