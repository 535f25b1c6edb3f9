"""Routing: which severity an event gets, and which channels and webhooks it goes to."""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any


@dataclass(frozen=True)
class RouteKey:
    """The facts of an event that rules match on."""

    type: str
    severity: str
    topics: tuple[str, ...]
    source_id: str
    actor: str | None = None
    issue: str | None = None
    fact: str | None = None

    @classmethod
    def of(
        cls,
        type_: str,
        severity: str,
        topics: tuple[str, ...],
        source_id: str,
        data: dict[str, Any],
    ) -> RouteKey:
        """Read the key of an event from its attributes and data."""
        actor, issue = data.get("actor"), data.get("issue")
        return cls(
            type=type_,
            severity=severity,
            topics=topics,
            source_id=source_id,
            actor=actor.get("id") if isinstance(actor, dict) else None,
            issue=issue.get("id") if isinstance(issue, dict) else None,
            fact=data.get("key") if type_.startswith("fact.") else None,
        )


def _any_glob(globs: tuple[str, ...], value: str | None) -> bool:
    return not globs or (value is not None and any(fnmatchcase(value, g) for g in globs))


@dataclass(frozen=True)
class Criteria:
    """What a rule matches: every criterion given must hold; an empty one matches anything.

    Types, sources and fact keys take shell-style globs (`statement.*`, `ceasefire.*`).
    """

    types: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    actors: tuple[str, ...] = ()
    issues: tuple[str, ...] = ()
    facts: tuple[str, ...] = ()

    def matches(self, key: RouteKey) -> bool:
        """Return whether `key` satisfies every criterion."""
        return (
            _any_glob(self.types, key.type)
            and (not self.topics or bool(set(self.topics) & set(key.topics)))
            and (not self.severities or key.severity in self.severities)
            and _any_glob(self.sources, key.source_id)
            and (not self.actors or key.actor in self.actors)
            and (not self.issues or key.issue in self.issues)
            and _any_glob(self.facts, key.fact)
        )


@dataclass(frozen=True)
class Route:
    """Send matching events to `channels`; optionally at most once per `cooldown` seconds per
    subject, or gathered into one `digest` message per window of that many seconds."""

    channels: tuple[str, ...]
    criteria: Criteria = Criteria()
    id: str = ""
    cooldown: float | None = None
    digest: float | None = None

    def matches(self, key: RouteKey) -> bool:
        """Return whether the route takes this event."""
        return self.criteria.matches(key)


@dataclass(frozen=True)
class SeverityRule:
    """Give matching events this severity (the first matching rule wins)."""

    criteria: Criteria
    severity: str


@dataclass(frozen=True)
class WebhookRoute:
    """A webhook endpoint's filter: event type globs (none = every event)."""

    endpoint: str
    types: tuple[str, ...] = ()

    def matches(self, key: RouteKey) -> bool:
        """Return whether the endpoint wants this event."""
        return _any_glob(self.types, key.type)


def severity_for(rules: list[SeverityRule], key: RouteKey) -> str:
    """Return the severity the first matching rule sets, or the event's default."""
    return next((r.severity for r in rules if r.criteria.matches(key)), key.severity)


def channels_for(routes: list[Route], key: RouteKey) -> list[tuple[Route, str]]:
    """Return (route, channel) for every matching route, each channel once (first route wins)."""
    chosen: dict[str, Route] = {}
    for route in routes:
        if route.matches(key):
            for channel in route.channels:
                chosen.setdefault(channel, route)
    return [(route, channel) for channel, route in chosen.items()]
