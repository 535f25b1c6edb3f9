"""The kinds of source, one explicit entry each: `{kind: parser}`, each in its own module."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from tracker.domain.statements import Item
from tracker.sources.feed import parse_feed
from tracker.sources.json_api import parse_json
from tracker.sources.page import parse_page
from tracker.sources.telegram import parse_telegram


class Parser(Protocol):
    """Turn a fetched body into items, or raise ParseError."""

    def __call__(
        self,
        body: bytes,
        *,
        url: str,
        content_type: str | None = None,
        options: Mapping[str, str] | None = None,
    ) -> list[Item]: ...


PARSERS: dict[str, Parser] = {
    "feed": parse_feed,
    "page": parse_page,
    "json": parse_json,
    "telegram": parse_telegram,
}
