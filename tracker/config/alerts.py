"""`alerts.yaml`: channels, routes, severity rules and webhook endpoints."""

from __future__ import annotations

import base64
import binascii
import difflib
import re
from datetime import time
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)

from tracker.config.errors import ConfigProblem
from tracker.config.models import Duration, HttpUrl, Identifier, Strict
from tracker.config.yamlfile import Loc, YamlDocument, field_name
from tracker.domain.events import EVENT_TYPES, Severity
from tracker.domain.routing import Criteria, Route, SeverityRule


def _event_type_glob(value: str) -> str:
    if not any(re.fullmatch(value.replace(".", r"\.").replace("*", ".*"), t) for t in EVENT_TYPES):
        raise ValueError(f"matches no event type: {value!r} (types: {', '.join(EVENT_TYPES)})")
    return value


_MIN_SECRET_BYTES = 16
EventGlob = Annotated[str, AfterValidator(_event_type_glob)]


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r} (use e.g. Europe/Kyiv, UTC)") from exc
    return value


_CLOCK = re.compile(r"^([01]?[0-9]|2[0-3]):([0-5][0-9])(?::([0-5][0-9]))?$")
# Schemes the tracker registers with apprise itself (tracker/delivery/console.py)
OWN_SCHEMES = frozenset({"console"})


def _clock(value: object) -> time:
    match = _CLOCK.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"not a time of day: {value!r} (use HH:MM, e.g. 22:30)")
    return time(int(match[1]), int(match[2]), int(match[3] or 0))


Clock = Annotated[time, BeforeValidator(_clock)]


class QuietHours(Strict):
    """Hours when a channel gets only flash alerts; the rest wait until the quiet ends."""

    start: Clock
    end: Clock
    timezone: Annotated[str, AfterValidator(_zone)] = "UTC"


class ChannelConfig(Strict):
    """An alert channel: an apprise URL, or an apprise config file (services chosen by tags).

    URLs carry tokens: they are secrets, never logged, stored or shown.
    """

    id: Identifier
    url: SecretStr | None = None
    config: str | None = None  # an apprise YAML/text config file, relative to the config dir
    tags: list[str] = Field(default_factory=list)
    format: Literal["auto", "text", "markdown", "html"] = "auto"
    quiet_hours: QuietHours | None = None

    @field_validator("url")
    @classmethod
    def _has_scheme(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and "://" not in value.get_secret_value():
            raise ValueError("not an apprise URL (expected scheme://...)")
        return value

    @model_validator(mode="after")
    def _one_target(self) -> ChannelConfig:
        if (self.url is None) == (self.config is None):
            raise ValueError(
                "give either `url` (an apprise URL) or `config` (an apprise config file)"
            )
        return self


class MatchConfig(Strict):
    """What a rule matches; every criterion given must hold, an empty one matches all."""

    types: list[EventGlob] = Field(default_factory=list)
    topics: list[Identifier] = Field(default_factory=list)
    severities: list[Severity] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    actors: list[Identifier] = Field(default_factory=list)
    issues: list[Identifier] = Field(default_factory=list)
    facts: list[str] = Field(default_factory=list)


class RouteConfig(Strict):
    """Send matching events to channels, optionally with a cooldown or as a digest."""

    id: Identifier | None = None
    match: MatchConfig = Field(default_factory=MatchConfig)
    channels: list[Identifier] = Field(min_length=1)
    cooldown: Duration | None = Field(default=None, gt=0)
    digest: Duration | None = Field(default=None, ge=60)


class SeverityConfig(Strict):
    """Give matching events a severity tier."""

    match: MatchConfig
    severity: Severity


class WebhookConfig(Strict):
    """A webhook endpoint: signed CloudEvents POSTed to `url` (Standard Webhooks)."""

    id: Identifier
    url: HttpUrl
    secret: SecretStr
    types: list[EventGlob] = Field(default_factory=list)
    enabled: bool = True

    @field_validator("secret")
    @classmethod
    def _whsec(cls, value: SecretStr) -> SecretStr:
        raw = value.get_secret_value()
        if not raw.startswith("whsec_"):
            raise ValueError("a webhook secret starts with whsec_ (make one: tracker webhooks add)")
        try:
            key = base64.b64decode(raw.removeprefix("whsec_"), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError("a webhook secret is whsec_ followed by base64") from exc
        if len(key) < _MIN_SECRET_BYTES:
            raise ValueError("a webhook secret must hold at least 16 bytes")
        return value


class AlertsFile(Strict):
    """`alerts.yaml`."""

    channels: list[ChannelConfig] = Field(default_factory=list)
    routes: list[RouteConfig] = Field(default_factory=list)
    severity: list[SeverityConfig] = Field(default_factory=list)
    webhooks: list[WebhookConfig] = Field(default_factory=list)


def criteria(match: MatchConfig) -> Criteria:
    """Return the domain criteria of a match block."""
    return Criteria(
        types=tuple(match.types),
        topics=tuple(match.topics),
        severities=tuple(s.value for s in match.severities),
        sources=tuple(match.sources),
        actors=tuple(match.actors),
        issues=tuple(match.issues),
        facts=tuple(match.facts),
    )


def routes(alerts: AlertsFile) -> list[Route]:
    """Return the routes, each with a stable id (given, or route-<n>)."""
    return [
        Route(
            channels=tuple(r.channels),
            criteria=criteria(r.match),
            id=r.id or f"route-{i + 1}",
            cooldown=r.cooldown,
            digest=r.digest,
        )
        for i, r in enumerate(alerts.routes)
    ]


def severity_rules(alerts: AlertsFile) -> list[SeverityRule]:
    """Return the severity rules, in order."""
    return [SeverityRule(criteria(s.match), s.severity.value) for s in alerts.severity]


def _duplicates(alerts: AlertsFile) -> list[tuple[Loc, str]]:
    found: list[tuple[Loc, str]] = []
    groups: dict[str, list[str | None]] = {
        "channel": [c.id for c in alerts.channels],
        "webhook": [w.id for w in alerts.webhooks],
        "route": [r.id for r in alerts.routes],
    }
    for kind, ids in groups.items():
        seen: set[str] = set()
        for i, ident in enumerate(ids):
            if ident and ident in seen:
                found.append(((f"{kind}s", i, "id"), f"duplicate {kind} id {ident!r}"))
            seen.add(ident or "")
    return found


def _unknown_schemes(alerts: AlertsFile) -> list[tuple[Loc, str]]:
    """Each channel URL whose scheme apprise does not know (only the scheme is shown: the
    rest of a URL holds its tokens)."""
    schemes = [
        (i, c.url.get_secret_value().split("://", 1)[0].lower())
        for i, c in enumerate(alerts.channels)
        if c.url is not None
    ]
    if not schemes:
        return []
    from apprise import NotificationManager  # loads every plugin (~0.7 s): only when needed

    known = NotificationManager()  # type: ignore[no-untyped-call]  # apprise leaves it untyped
    found: list[tuple[Loc, str]] = []
    for i, scheme in schemes:
        if scheme in OWN_SCHEMES or scheme in known:
            continue
        names = [*known.schemas(), *OWN_SCHEMES]  # type: ignore[no-untyped-call]
        close = difflib.get_close_matches(scheme, names, n=1)
        hint = f"did you mean {close[0]}://?" if close else "see the apprise wiki for services"
        found.append((("channels", i, "url"), f"unknown apprise scheme {scheme!r}: {hint}"))
    return found


def check_alerts(
    alerts: AlertsFile, doc: YamlDocument, config_dir: Path, problems: list[ConfigProblem]
) -> None:
    """Cross-check the alerts file: unique ids, known channels and apprise schemes, channel
    config files present."""
    found = _duplicates(alerts) + _unknown_schemes(alerts)
    channel_ids = {c.id for c in alerts.channels}
    for i, route in enumerate(alerts.routes):
        found += [
            (("routes", i, "channels", j), f"unknown channel {channel!r}")
            for j, channel in enumerate(route.channels)
            if channel not in channel_ids
        ]
        if route.cooldown and route.digest:
            found.append((("routes", i), "a route has a cooldown or a digest, not both"))
    for i, channel in enumerate(alerts.channels):
        if channel.config and not (config_dir / channel.config).is_file():
            found.append(
                (("channels", i, "config"), f"apprise config file not found: {channel.config}")
            )
    problems += [
        ConfigProblem(doc.path, doc.line_of(loc), field_name(loc), msg) for loc, msg in found
    ]
