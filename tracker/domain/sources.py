"""Sources as the core sees them: what to poll, how often, and for which topics."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

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
