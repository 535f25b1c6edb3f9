"""The kinds of source, one explicit entry each: `{kind: parser}`, each in its own module."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from importlib import import_module
from typing import Protocol, cast

from tracker.domain.statements import Item


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


class _Parsers(Mapping[str, Parser]):
    """`{kind: parser}`, each parser's module imported when a body of its kind first comes:
    a cycle of 304s (or a configuration without JSON sources) never loads feedparser, lxml or
    jmespath (issue 13: start-up of `tracker poll --once`)."""

    def __init__(self, where: dict[str, str]) -> None:
        self._where = where

    def __getitem__(self, kind: str) -> Parser:
        module, _, name = self._where[kind].partition(":")
        return cast("Parser", getattr(import_module(module), name))

    def __iter__(self) -> Iterator[str]:
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)


PARSERS: Mapping[str, Parser] = _Parsers(
    {
        "feed": "tracker.sources.feed:parse_feed",
        "page": "tracker.sources.page:parse_page",
        "json": "tracker.sources.json_api:parse_json",
        "telegram": "tracker.sources.telegram:parse_telegram",
    }
)
