"""When a delivery goes out: now, after a channel's quiet hours, at the end of a digest window,
or not at all inside a route's cooldown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tracker.domain.routing import Route


@dataclass(frozen=True)
class QuietHours:
    """Daily hours [start, end) in a time zone when only flash alerts go out."""

    start: time
    end: time
    timezone: str = "UTC"

    def _local(self, now: datetime) -> datetime:
        return now.astimezone(ZoneInfo(self.timezone))

    def contains(self, now: datetime) -> bool:
        """Return whether `now` falls in the quiet hours (which may span midnight)."""
        clock = self._local(now).time()
        if self.start <= self.end:
            return self.start <= clock < self.end
        return clock >= self.start or clock < self.end

    def ends_after(self, now: datetime) -> datetime:
        """Return when the quiet hours that contain `now` end, in UTC."""
        local = self._local(now)
        end = local.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        if end <= local:
            end += timedelta(days=1)
        return end.astimezone(UTC)


@dataclass(frozen=True)
class Plan:
    """A delivery's initial state: `suppressed` inside a cooldown, else pending until `due`."""

    status: str
    due: datetime | None
    digest_key: str | None = None


def plan_delivery(
    *,
    now: datetime,
    severity: str,
    route: Route | None,
    quiet: QuietHours | None,
    last_for_subject: datetime | None,
) -> Plan:
    """Decide when a new delivery is due (route `None`: a webhook, always now)."""
    cooldown = route.cooldown if route is not None else None
    if (
        cooldown
        and last_for_subject is not None
        and now - last_for_subject < timedelta(seconds=cooldown)
    ):
        return Plan("suppressed", None)
    if route is not None and route.digest:
        width = route.digest
        start = int(now.timestamp() // width * width)
        return Plan("pending", datetime.fromtimestamp(start + width, UTC), f"{route.id}:{start}")
    if quiet is not None and severity != "flash" and quiet.contains(now):
        return Plan("pending", quiet.ends_after(now))
    return Plan("pending", now)
