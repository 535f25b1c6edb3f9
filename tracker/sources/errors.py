"""Why a poll failed. Errors of httpx and the parsers are translated here, at the edge.

SourceError                     every failed poll; `reason` is what users see
├── TransientSourceError        may work next time: back off and retry
│   ├── FetchTimeout            connect/read/total time limit passed
│   ├── FetchConnectError       refused, reset, DNS, TLS
│   ├── ServerError             HTTP 5xx
│   └── RateLimited             HTTP 429 (or 503 with Retry-After): `retry_after` seconds
└── PermanentSourceError        will not fix itself: still retried, but reported as such
    ├── HttpClientError         HTTP 4xx other than 429 (404 not found, 410 gone, ...)
    ├── RedirectError           too many redirects, or a redirect without a usable Location
    ├── BodyTooLarge            the body passed the size cap (streamed and aborted)
    └── ParseError              the body is not what this kind of source expects
        ├── NotAFeed            HTML or another document where a feed was expected
        ├── TooLittleText       a page or post list yields (almost) no text
        ├── MalformedFeed       not well-formed XML (truncated, mismatched tags)
        └── EntitiesRefused     the XML declares entities (entity-expansion attacks)
"""

from __future__ import annotations


class SourceError(Exception):
    """A poll failed; `reason` is a short, secret-free account for the sources list."""

    transient = False

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class TransientSourceError(SourceError):
    """A failure that may go away on its own."""

    transient = True


class FetchTimeout(TransientSourceError):
    """No complete response in time."""


class FetchConnectError(TransientSourceError):
    """The connection could not be made or broke."""


class ServerError(TransientSourceError):
    """The server answered 5xx."""


class RateLimited(TransientSourceError):
    """The server asked us to slow down."""


class PermanentSourceError(SourceError):
    """A failure that needs someone to change the source or its configuration."""


class HttpClientError(PermanentSourceError):
    """The server answered 4xx."""


class RedirectError(PermanentSourceError):
    """Redirects went on too long or led nowhere."""


class BlockedAddress(PermanentSourceError):
    """The address is not one the tracker may connect to."""


class BodyTooLarge(PermanentSourceError):
    """The body is larger than the configured cap."""


class ParseError(PermanentSourceError):
    """The body could not be read as this kind of source."""


class NotAFeed(ParseError):
    """The body is not RSS or Atom."""


class TooLittleText(ParseError):
    """A page that used to carry a statement yields almost none: a changed layout, a consent
    or paywall page. Reported as a failure of the source, never as an edit."""


class MalformedFeed(ParseError):
    """The body is broken XML."""


class EntitiesRefused(ParseError):
    """The XML declares entities, which are refused."""
