"""The kinds of source, one explicit entry each: `{kind: parser}`."""

from __future__ import annotations

from typing import Protocol

from tracker.domain.statements import Item
from tracker.sources.feed import parse_feed


class Parser(Protocol):
    """Turn a fetched body into items, or raise ParseError."""

    def __call__(self, body: bytes, *, url: str, content_type: str | None = None) -> list[Item]: ...


PARSERS: dict[str, Parser] = {
    "feed": parse_feed,
}
