"""Routing: which channels an event goes to, by the rules of the alerts file."""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase


@dataclass(frozen=True)
class RouteKey:
    """The facts of an event that routes match on."""

    type: str
    severity: str
    topics: tuple[str, ...]
    source_id: str


@dataclass(frozen=True)
class Route:
    """Send events matching every non-empty criterion to `channels`.

    An empty criterion matches anything; `types` take shell-style globs (`statement.*`).
    """

    channels: tuple[str, ...]
    types: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()

    def matches(self, key: RouteKey) -> bool:
        """Return whether `key` satisfies every criterion of this route."""
        return (
            (not self.types or any(fnmatchcase(key.type, glob) for glob in self.types))
            and (not self.topics or bool(set(self.topics) & set(key.topics)))
            and (not self.severities or key.severity in self.severities)
            and (not self.sources or any(fnmatchcase(key.source_id, s) for s in self.sources))
        )


def channels_for(routes: list[Route], key: RouteKey) -> list[str]:
    """Return the channels of every matching route, each once, in the order first named."""
    chosen: dict[str, None] = {}
    for route in routes:
        if route.matches(key):
            chosen.update(dict.fromkeys(route.channels))
    return list(chosen)
