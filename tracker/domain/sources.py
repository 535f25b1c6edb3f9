"""Sources as the core sees them: what to poll, how often, and for which topics."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from tracker.domain.normalise import NoiseRules

_SECRET_PARAM = re.compile(r"(key|token|secret|pass|auth|sig|signature|credential)", re.IGNORECASE)


@dataclass(frozen=True)
class SourceSpec:
    """A source as configured."""

    id: str
    kind: str
    url: str
    interval: float
    topics: tuple[str, ...]
    speaker: str | None = None
    name: str | None = None
    enabled: bool = True
    headers: dict[str, str] = field(default_factory=dict)
    extract: dict[str, str] = field(default_factory=dict)  # page selector / JSON expressions
    adaptive: tuple[float, float] | None = None  # (min, max) interval when it adapts
    credible: bool = True  # may put a fact in dispute (an aggregator or a blog may not)
    # What is not a change at this source (JSON-shaped, as stored): ignore, strip_params,
    # min_change, flip_flop; see NoiseRules
    noise: dict[str, Any] = field(default_factory=dict)

    def noise_rules(self) -> NoiseRules:
        """Return the source's noise rules."""
        n = self.noise
        return NoiseRules(
            ignore=tuple(n.get("ignore", ())),
            strip_params=frozenset(p.lower() for p in n.get("strip_params", ())),
            min_change=int(n.get("min_change", 0)),
            flip_flop=n.get("flip_flop"),
        )

    def public(self) -> dict[str, Any]:
        """Return what may be shown in events and pages: no headers, no credentials in URLs."""
        return {
            "id": self.id,
            "kind": self.kind,
            "url": redact_url(self.url),
            "speaker": self.speaker,
            "name": self.name,
        }


def redact_url(url: str) -> str:
    """Return `url` with user info and secret-looking query values replaced by `***`."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rsplit("@", 1)[1]
    query = urlencode(
        [
            (k, "***" if _SECRET_PARAM.search(k) else v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
        ],
        safe="*",
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


# How an adaptive interval moves: halved after a poll that found something new, lengthened by
# a quarter after a quiet one, always within the source's bounds.
BUSY_FACTOR = 0.5
QUIET_FACTOR = 1.25


def adapt_interval(current: float, bounds: tuple[float, float], *, busy: bool) -> float:
    """Return a source's next interval: shorter while it keeps publishing, longer while quiet."""
    low, high = bounds
    return min(high, max(low, current * (BUSY_FACTOR if busy else QUIET_FACTOR)))


def schedule_after_success(
    now: datetime,
    *,
    interval: float,
    current: float | None,
    adaptive: tuple[float, float] | None,
    busy: bool,
    first: bool,
    rng: random.Random | None = None,
) -> tuple[float | None, datetime]:
    """Return a source's interval in use (`current`, adapted) and its next poll after a poll
    that succeeded. A first poll learns what is there: it is neither busy nor quiet, so the
    interval stays. The next poll is spread by +/-5% so sources do not poll in lock-step."""
    if adaptive is not None and not first:
        current = interval = adapt_interval(current or interval, adaptive, busy=busy)
    spread = (rng or random).uniform(0.95, 1.05)
    return current, now + timedelta(seconds=interval * spread)
