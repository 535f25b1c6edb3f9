"""Delivery retries: when the next attempt is due, and when to give up."""

from __future__ import annotations

import email.utils
import random
from datetime import UTC, datetime, timedelta

# The Standard Webhooks schedule: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h,
# 20 h, 24 h. Each delay is counted from the previous attempt.
DEFAULT_SCHEDULE: tuple[float, ...] = (
    0,
    5,
    300,
    1800,
    7200,
    18000,
    36000,
    50400,
    72000,
    86400,
)


def next_attempt(
    now: datetime,
    attempts_made: int,
    schedule: tuple[float, ...],
    *,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> datetime | None:
    """Return when attempt number `attempts_made + 1` is due, or None to give up.

    `schedule[i]` is the delay before attempt i+1, so `attempts_made` attempts have used
    `schedule[:attempts_made]`. Delays get +/-10% jitter; `Retry-After` is honoured up to a day.
    """
    if attempts_made >= len(schedule):
        return None
    delay = schedule[attempts_made] * (rng or random).uniform(0.9, 1.1)
    if retry_after is not None:
        delay = max(delay, min(retry_after, 86_400.0))
    return now + timedelta(seconds=delay)


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Return the seconds a Retry-After header asks for (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
