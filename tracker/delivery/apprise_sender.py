"""Send one alert to one apprise URL and say exactly how it went, without leaking the URL.

Each channel is sent on its own Apprise object, so one failing service never holds up or
hides the outcome of another. Apprise's own logger is silenced: its messages come back in
the per-service result instead, scrubbed of anything secret in the URL.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import parse_qsl, unquote, urlsplit

from tracker.delivery.console import register_console_plugin

_NOTIFY_TYPE = {"flash": "failure", "urgent": "warning", "routine": "info"}
_MIN_SECRET_LEN = 4


@dataclass(frozen=True)
class SendResult:
    """How a send went: `error` is None on success, a secret-free reason otherwise."""

    error: str | None


def secret_parts(url: str) -> list[str]:
    """Return the parts of an apprise URL that may be credentials (to scrub from any text)."""
    parts = urlsplit(url)
    candidates = [parts.username or "", parts.password or ""]
    candidates += [unquote(seg) for seg in parts.path.split("/")]
    candidates += [unquote(value) for _key, value in parse_qsl(parts.query)]
    if "@" not in parts.netloc:  # many services carry a token where a host would be
        candidates.append(parts.netloc)
    return sorted({c for c in candidates if len(c) >= _MIN_SECRET_LEN}, key=len, reverse=True)


def scrub(text: str, url: str) -> str:
    """Return `text` with the URL and each of its secret-looking parts replaced by `***`."""
    for secret in [url, *secret_parts(url)]:
        text = text.replace(secret, "***")
    return re.sub(r"\s+", " ", text).strip()


class Sendable(Protocol):
    """A rendered alert."""

    title: str
    body: str
    format: str


def native_format(url: str) -> str:
    """Return the format an apprise service takes natively: text, markdown or html."""
    import apprise

    register_console_plugin()
    notifier = apprise.Apprise()
    service = next(iter(notifier.find()), None) if notifier.add(url) else None
    if service is None:
        return "text"
    fmt = getattr(service, "notify_format", "text")
    if isinstance(fmt, tuple | list):  # a service taking several: its first is its own
        fmt = fmt[0] if fmt else "text"
    value = str(getattr(fmt, "value", fmt)).lower()
    return value if value in {"text", "markdown", "html"} else "text"


def expand_config(path: str, tags: list[str]) -> list[str]:
    """Return the URLs of the services an apprise config file defines for these tags.

    Apprise's own tag matching decides (no tags: every service). Each URL is a delivery
    target of its own, so each service's outcome is recorded and retried on its own.
    """
    import apprise

    register_console_plugin()
    config = apprise.AppriseConfig()
    config.add(path)
    notifier = apprise.Apprise()
    notifier.add(config)
    services = notifier.find(tag=tags or "all")
    return [str(service.url(privacy=False)) for service in services]  # type: ignore[no-untyped-call]


class AppriseSender:
    """Sends alerts through apprise, one URL at a time."""

    def __init__(self, timeout: float = 30.0) -> None:
        self.timeout = timeout
        register_console_plugin()
        quiet = logging.getLogger("apprise")
        quiet.propagate = False
        quiet.handlers[:] = [logging.NullHandler()]

    def send(self, url: str, message: Sendable) -> SendResult:
        """Send to `url`; never raise for a delivery problem, return it."""
        import apprise

        notifier = apprise.Apprise()
        if not notifier.add(url):
            return SendResult("the channel URL is not a valid apprise URL")
        severity = "routine"
        for tier in ("flash", "urgent"):
            if message.title.startswith(f"[{tier.upper()}]"):
                severity = tier
        try:
            result = notifier.notify(
                body=message.body,
                title=message.title,
                notify_type=_NOTIFY_TYPE[severity],
                body_format=message.format,
                timeout=self.timeout,
                log_level=logging.INFO,
            )
        except Exception as exc:  # a plugin bug must not kill the worker; report it
            return SendResult(scrub(f"{type(exc).__name__}: {exc}", url))
        if result:
            return SendResult(None)
        return SendResult(scrub(self._reason(result), url))

    @staticmethod
    def _reason(result: object) -> str:
        messages = [
            str(getattr(entry, "message", entry))
            for entry in getattr(result, "logs", list)()
            if logging.getLevelName(str(getattr(entry, "level", "WARNING"))) >= logging.WARNING
        ]
        if messages:
            return messages[-1]
        status = getattr(result, "status", "failure")
        return f"apprise reported {getattr(status, 'name', status)}".lower()
