"""Per-host politeness: how often and how many at once the tracker may ask one host.

A host's budget is a token bucket (`rate` requests a second, up to `burst` saved up) and a cap
on requests in flight (`concurrency`). The dispatcher spends the budget when it leases sources;
a source denied a slot is rescheduled a little later, never slept on. The bucket's state lives
in Redis or in the database, so every worker spends from the same budget.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from urllib.parse import urlsplit

# How long a source denied a slot waits at least before it is due again (the dispatcher ticks
# every few seconds, so a shorter wait would only be seen at the next tick anyway).
MIN_DEFER_SECONDS = 1.0


@dataclass(frozen=True)
class HostPolicy:
    """The budget of one host."""

    rate: float = 2.0  # requests a second, on average
    burst: int = 10  # requests that may go at once after a quiet spell
    concurrency: int = 4  # requests in flight at once


@dataclass(frozen=True)
class Politeness:
    """The default policy and the hosts that differ from it (a host names its subdomains too:
    `kremlin.ru` covers `en.kremlin.ru`)."""

    default: HostPolicy = field(default_factory=HostPolicy)
    hosts: dict[str, HostPolicy] = field(default_factory=dict)

    def policy(self, host: str) -> HostPolicy:
        """Return the policy for `host`: its own, its nearest parent domain's, or the default."""
        name = host
        while name:
            found = self.hosts.get(name)
            if found is not None:
                return found
            _, _, name = name.partition(".")
        return self.default


def host_of(url: str) -> str:
    """Return the host a URL is fetched from, lower-cased (ports are one host: politeness is
    owed to the machine)."""
    return (urlsplit(url).hostname or "").lower()


@dataclass(frozen=True)
class Bucket:
    """A host's saved-up requests at a moment (epoch seconds)."""

    tokens: float
    at: float


@dataclass(frozen=True)
class Grant:
    """What a host's budget allows now: `granted` requests; when fewer than asked, the rest may
    try again after `wait` seconds."""

    granted: int
    wait: float = 0.0


def take(bucket: Bucket | None, want: int, now: float, policy: HostPolicy) -> tuple[Grant, Bucket]:
    """Spend up to `want` whole requests from a host's bucket at `now`; return the grant and the
    bucket afterwards. A host never seen before starts with a full bucket."""
    if bucket is None:
        tokens = float(policy.burst)
    else:
        elapsed = max(0.0, now - bucket.at)  # a clock that went back refills nothing
        tokens = min(float(policy.burst), bucket.tokens + elapsed * policy.rate)
    granted = max(0, min(want, math.floor(tokens)))
    tokens -= granted
    wait = 0.0 if granted == want else max(MIN_DEFER_SECONDS, (1.0 - tokens) / policy.rate)
    return Grant(granted, wait), Bucket(tokens, now)
