"""Source health: consecutive failures, when to report failing or recovered, and backoff.

A source is reported failing only after `threshold` failures in a row and recovered once,
on its first success after that; a single blip is recorded on the source but raises nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Health:
    """A source's failure counter and whether it has been reported failing."""

    consecutive_failures: int = 0
    failing: bool = False


@dataclass(frozen=True)
class Transition:
    """The health after a poll, and the ops event it raises, if any."""

    health: Health
    event_type: str | None


def after_success(health: Health) -> Transition:
    """Reset the counter; report recovery if the source had been reported failing."""
    return Transition(Health(), "source.recovered" if health.failing else None)


def after_failure(health: Health, threshold: int) -> Transition:
    """Count one more failure; report failing when the count first reaches `threshold`."""
    failures = health.consecutive_failures + 1
    newly_failing = not health.failing and failures >= threshold
    return Transition(
        Health(failures, health.failing or newly_failing),
        "source.failing" if newly_failing else None,
    )


def next_poll_after_failure(
    now: datetime,
    *,
    interval: float,
    failures: int,
    max_backoff: float,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> datetime:
    """Return when to poll again: exponential backoff from the interval, with jitter.

    The delay doubles per consecutive failure up to `max_backoff` (never below the
    interval), is spread by +/-10% so failing sources do not retry in lock-step, and is
    at least the server's `Retry-After`.
    """
    exponent = max(0, failures - 1)
    delay = min(interval * (2.0 ** min(exponent, 30)), max(max_backoff, interval))
    delay *= (rng or random).uniform(0.9, 1.1)
    if retry_after is not None:
        delay = max(delay, min(retry_after, 86_400.0))
    return now + timedelta(seconds=delay)
