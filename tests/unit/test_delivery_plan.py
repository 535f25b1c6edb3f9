"""When deliveries go out: quiet hours, digest windows, cooldowns."""

from __future__ import annotations

from datetime import UTC, datetime, time

from tracker.domain.delivery_plan import QuietHours, plan_delivery
from tracker.domain.routing import Route

NIGHT = QuietHours(time(22, 0), time(7, 0), "Europe/Kyiv")  # UTC+2 in winter
AT_23_KYIV = datetime(2025, 1, 10, 21, 0, tzinfo=UTC)
AT_NOON_KYIV = datetime(2025, 1, 10, 10, 0, tzinfo=UTC)
PLAIN = Route(("desk",), id="r")


def test_quiet_hours_span_midnight_in_the_channels_time_zone():
    """22:00-07:00 Kyiv time holds at 23:00 and 03:00 there, not at noon."""
    assert NIGHT.contains(AT_23_KYIV)
    assert NIGHT.contains(datetime(2025, 1, 11, 1, 0, tzinfo=UTC))
    assert not NIGHT.contains(AT_NOON_KYIV)
    assert NIGHT.ends_after(AT_23_KYIV) == datetime(2025, 1, 11, 5, 0, tzinfo=UTC)


def test_quiet_hours_delay_all_but_flash():
    """Routine and urgent alerts wait for the morning; flash goes at once."""
    routine = plan_delivery(
        now=AT_23_KYIV, severity="routine", route=PLAIN, quiet=NIGHT, last_for_subject=None
    )
    flash = plan_delivery(
        now=AT_23_KYIV, severity="flash", route=PLAIN, quiet=NIGHT, last_for_subject=None
    )
    assert (routine.status, routine.due) == ("pending", datetime(2025, 1, 11, 5, 0, tzinfo=UTC))
    assert flash.due == AT_23_KYIV


def test_digest_gathers_a_window_under_one_key():
    """Events of one hourly window share a digest key and are due when the window ends."""
    hourly = Route(("email",), id="hourly", digest=3600)
    first = plan_delivery(
        now=datetime(2025, 1, 10, 9, 5, tzinfo=UTC),
        severity="routine",
        route=hourly,
        quiet=None,
        last_for_subject=None,
    )
    second = plan_delivery(
        now=datetime(2025, 1, 10, 9, 55, tzinfo=UTC),
        severity="routine",
        route=hourly,
        quiet=None,
        last_for_subject=None,
    )
    later = plan_delivery(
        now=datetime(2025, 1, 10, 10, 1, tzinfo=UTC),
        severity="routine",
        route=hourly,
        quiet=None,
        last_for_subject=None,
    )
    assert first.digest_key == second.digest_key != later.digest_key
    assert first.due == datetime(2025, 1, 10, 10, 0, tzinfo=UTC)


def test_cooldown_suppresses_a_repeat_on_the_same_subject():
    """Within the cooldown a second alert on the subject is suppressed; after it, it goes."""
    cool = Route(("desk",), id="cool", cooldown=1800)
    now = datetime(2025, 1, 10, 9, 0, tzinfo=UTC)
    soon = plan_delivery(
        now=now,
        severity="flash",
        route=cool,
        quiet=None,
        last_for_subject=datetime(2025, 1, 10, 8, 45, tzinfo=UTC),
    )
    later = plan_delivery(
        now=now,
        severity="flash",
        route=cool,
        quiet=None,
        last_for_subject=datetime(2025, 1, 10, 8, 0, tzinfo=UTC),
    )
    assert soon.status == "suppressed"
    assert (later.status, later.due) == ("pending", now)
