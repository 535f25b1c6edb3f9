"""Source health transitions, poll backoff, and the delivery retry schedule."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from tracker.domain.health import Health, after_failure, after_success, next_poll_after_failure
from tracker.domain.retry import DEFAULT_SCHEDULE, next_attempt

NOW = datetime(2025, 3, 18, tzinfo=UTC)


def test_failing_is_reported_once_at_the_threshold_and_recovery_once():
    """Failures count up; the third reports failing, later ones do not; one success recovers."""
    health, reported = Health(), []
    for _ in range(5):
        transition = after_failure(health, threshold=3)
        health = transition.health
        reported.append(transition.event_type)
    assert reported == [None, None, "source.failing", None, None]
    assert health == Health(5, failing=True)
    recovered = after_success(health)
    assert (recovered.health, recovered.event_type) == (Health(), "source.recovered")
    assert after_success(Health(2, failing=False)).event_type is None


def test_backoff_doubles_from_the_interval_up_to_the_cap_and_honours_retry_after():
    """Delays double per failure (with +/-10% jitter), stop at the cap, and respect Retry-After."""
    rng = random.Random(1)
    delays = [
        (
            next_poll_after_failure(NOW, interval=60, failures=n, max_backoff=600, rng=rng) - NOW
        ).total_seconds()
        for n in (1, 2, 3, 4, 5, 9)
    ]
    for got, want in zip(delays, [60, 120, 240, 480, 600, 600], strict=True):
        assert want * 0.9 <= got <= want * 1.1
    later = next_poll_after_failure(NOW, interval=60, failures=1, max_backoff=600, retry_after=5000)
    assert later - NOW >= timedelta(seconds=5000)


def test_retry_schedule_then_give_up():
    """Attempt k waits schedule[k]; past the schedule the delivery is given up."""
    rng = random.Random(2)
    assert next_attempt(NOW, 0, DEFAULT_SCHEDULE, rng=rng) == NOW
    second = next_attempt(NOW, 1, DEFAULT_SCHEDULE, rng=rng)
    assert second is not None
    assert timedelta(seconds=4.5) <= second - NOW <= timedelta(seconds=5.5)
    assert next_attempt(NOW, len(DEFAULT_SCHEDULE), DEFAULT_SCHEDULE) is None
    assert next_attempt(NOW, 1, (0, 5), retry_after=60) >= NOW + timedelta(seconds=60)
