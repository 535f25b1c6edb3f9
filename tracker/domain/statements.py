"""Statements as the tracker sees them: an item observed at a source, and what is stored of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from tracker.domain.normalise import (
    NO_RULES,
    NoiseRules,
    body_text,
    canonical_url,
    clean_text,
    fingerprint,
    key_digest,
)


@dataclass(frozen=True, slots=True)
class Item:
    """One item as a source adapter parsed it (a feed entry, a page, a post)."""

    key: str
    title: str
    text: str
    url: str | None = None
    published: datetime | None = None
    author: str | None = None


@dataclass(frozen=True, slots=True)
class Observation:
    """An item after normalisation: the text that is stored and the fingerprint compared."""

    key: str
    key_digest: str
    title: str
    text: str
    url: str | None
    published: datetime | None
    fingerprint: str

    @classmethod
    def of(cls, item: Item, rules: NoiseRules = NO_RULES) -> Observation:
        """Normalise `item`: clean title and body, canonical link, fingerprint (all within the
        source's noise rules)."""
        title = clean_text(item.title)
        text = body_text(title, item.text)
        return cls(
            key=item.key,
            key_digest=key_digest(item.key),
            title=title,
            text=text,
            url=canonical_url(item.url, rules.strip_params) if item.url else None,
            published=item.published,
            fingerprint=fingerprint(title, text, rules),
        )


@dataclass(frozen=True, slots=True)
class StoredStatement:
    """What a change decision needs to know of a statement already stored."""

    id: int
    fingerprint: str
    announced: bool
    version_count: int


class Change(StrEnum):
    """How an observation relates to what is stored."""

    NEW = "new"  # never seen at this source
    EDITED = "edited"  # a text never seen before for this statement
    MINOR = "minor"  # a new text, but too small a change to be news (the source's min_change)
    RESTORED = "restored"  # an old text back after more versions than the flip-flop window
    UNCHANGED = "unchanged"  # the current text again
    REVERTED = "reverted"  # back to an earlier text: stored, but not news again


def classify(
    stored: StoredStatement | None,
    observed_fingerprint: str,
    known: frozenset[str],
    recent: frozenset[str] | None = None,
) -> Change:
    """Classify an observation against the stored statement, every fingerprint it has had
    (`known`) and those of its last versions (`recent`, the flip-flop window; None: all)."""
    if stored is None:
        return Change.NEW
    if observed_fingerprint == stored.fingerprint:
        return Change.UNCHANGED
    if observed_fingerprint in (known if recent is None else recent):
        return Change.REVERTED
    if observed_fingerprint in known:
        return Change.RESTORED
    return Change.EDITED


def announcement(change: Change, *, relevant: bool, announced: bool) -> str | None:
    """Return the event type an observation raises, or None.

    A statement is announced once, when it is first seen relevant; after that every new text
    is an edit (an edit that drops the topic is news too). An irrelevant statement is stored
    silently until an edit makes it relevant, and then it is announced as new.
    """
    if change is Change.NEW:
        return "statement.new" if relevant else None
    if change is Change.RESTORED:
        return "statement.edited" if announced else None
    if change is not Change.EDITED:
        return None
    if announced:
        return "statement.edited"
    return "statement.new" if relevant else None


# On a first poll, up to this many items without dates are news (a page is one statement, a
# short feed a few); more are a list whose age nobody can tell: learned, not announced.
FIRST_POLL_UNDATED_NEWS = 3


def in_backlog(
    published: datetime | None,
    now: datetime,
    *,
    first_poll: bool,
    max_age: float,
    undated: int = 0,
) -> bool:
    """Return whether a new item is archive, not news: seen on a source's first poll, and old.

    Adding a source must not replay its archive as alerts. An item without a date is news
    when the first poll has at most FIRST_POLL_UNDATED_NEWS of them (`undated`), archive
    when it has more. `max_age` 0 turns this off.
    """
    if not first_poll or not max_age:
        return False
    if published is None:
        return undated > FIRST_POLL_UNDATED_NEWS
    return published < now - timedelta(seconds=max_age)
