"""What a poll came to, between fetching (no transaction) and recording (one transaction)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from tracker.domain.events import Event
from tracker.domain.normalise import NO_RULES, NoiseRules
from tracker.domain.statements import Item, Observation
from tracker.sources.errors import SourceError
from tracker.sources.http import FetchLimits, FetchRequest, FetchResult

Fetcher = Callable[[Sequence[FetchRequest], FetchLimits], list[FetchResult]]


@dataclass(frozen=True)
class Target:
    """What a poll needs of a leased source, read before the network wait."""

    source_id: str
    kind: str
    content_hash: str | None
    request: FetchRequest
    options: dict[str, str] = field(default_factory=dict)
    rules: NoiseRules = NO_RULES


@dataclass(frozen=True)
class Unchanged:
    """The source answered 304, or sent the very bytes it sent last time."""

    source_id: str
    url: str  # the URL polled: validators are stored only if it is still the source's URL
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Parsed:
    """The source sent content, parsed and normalised (before any transaction opens)."""

    source_id: str
    url: str
    observations: list[Observation]
    content_hash: str | None
    etag: str | None = None
    last_modified: str | None = None
    # Every new item is archive (known from now on, announced never): a listing's first poll
    archive: bool = False


@dataclass(frozen=True)
class Listing:
    """A listing page, parsed into the links it carries; its articles are opened next."""

    source_id: str
    url: str
    links: list[Item]
    content_hash: str
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Failed:
    """The poll failed."""

    source_id: str
    url: str
    error: SourceError


Outcome = Unchanged | Parsed | Failed


@dataclass
class BatchReport:
    """What recording a batch did."""

    polled: int = 0
    unchanged: int = 0
    failed: int = 0
    lost: list[str] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    delivery_ids: list[int] = field(default_factory=list)
