"""A source's interval adapts within its bounds: halved while busy, lengthened while quiet."""

from __future__ import annotations

from tracker.domain.sources import adapt_interval


def test_busy_halves_and_quiet_lengthens_within_the_bounds():
    bounds = (60.0, 3600.0)
    assert adapt_interval(300, bounds, busy=True) == 150
    assert adapt_interval(300, bounds, busy=False) == 375
    assert adapt_interval(100, bounds, busy=True) == 60  # never below the floor
    assert adapt_interval(3000, bounds, busy=False) == 3600  # never above the ceiling


def test_a_run_of_quiet_polls_reaches_the_ceiling_and_one_busy_poll_comes_back_down():
    bounds, interval = (60.0, 3600.0), 300.0
    for _ in range(20):
        interval = adapt_interval(interval, bounds, busy=False)
    assert interval == 3600
    assert adapt_interval(interval, bounds, busy=True) == 1800
