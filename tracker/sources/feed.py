"""RSS and Atom feeds (feedparser): items with a key, title, text, link and date.

XML entity declarations are refused before parsing, so an entity-expansion ("billion laughs")
feed costs nothing; a document that is not well-formed is an error, except for undefined
HTML entities such as `&nbsp;`, which real feeds are full of and feedparser reads safely.
"""

from __future__ import annotations

import hashlib
import re
from calendar import timegm
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin
from xml.sax import SAXParseException

import feedparser

from tracker.domain.statements import Item
from tracker.sources.errors import EntitiesRefused, MalformedFeed, NotAFeed
from tracker.sources.html_text import html_to_text

_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)
_HTML_START = re.compile(
    rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)\b", re.IGNORECASE | re.DOTALL
)
_PROLOG_SCAN_BYTES = 64 * 1024
_TOLERATED = ("undefined entity",)


def _refuse_entities(body: bytes) -> None:
    head = body[:_PROLOG_SCAN_BYTES]
    doctype = head.find(b"<!DOCTYPE")
    if doctype >= 0 and _ENTITY_DECL.search(head, doctype):
        raise EntitiesRefused("XML entity declarations refused (possible entity-expansion attack)")


def _when(entry: Any) -> datetime | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        return None
    return datetime.fromtimestamp(timegm(parsed), tz=UTC)


def _text(entry: Any) -> str:
    contents = entry.get("content") or []
    value = contents[0].get("value", "") if contents else entry.get("summary", "")
    return html_to_text(value or "")


def _key(entry: Any, title: str, text: str) -> str:
    for name in ("id", "link"):
        value = (entry.get(name) or "").strip()
        if value:
            return value
    digest = hashlib.sha256(f"{title}\n{text[:500]}".encode()).hexdigest()[:32]
    return f"sha256:{digest}"


def _check(parsed: Any, body: bytes, content_type: str | None) -> None:
    problem = parsed.get("bozo_exception")
    if not parsed.get("version"):
        if _HTML_START.match(body) or "html" in (content_type or "").lower():
            raise NotAFeed("not a feed: the server sent an HTML page")
        if isinstance(problem, SAXParseException):
            raise MalformedFeed(
                f"malformed XML: {problem.getMessage()} (line {problem.getLineNumber()})"
            )
        raise NotAFeed("not a feed: no RSS or Atom document found")
    if isinstance(problem, SAXParseException) and problem.getMessage() not in _TOLERATED:
        raise MalformedFeed(
            f"malformed XML: {problem.getMessage()} (line {problem.getLineNumber()})"
        )


def parse_feed(body: bytes, *, url: str, content_type: str | None = None) -> list[Item]:
    """Return the items of a feed, first occurrence of each key only; raise ParseError."""
    _refuse_entities(body)
    # No content-location: feedparser would resolve relative GUIDs against the feed URL, and a
    # feed that moves would then look like all-new items. Links are resolved here instead.
    headers = {"content-type": content_type} if content_type else {}
    parsed = feedparser.parse(body, response_headers=headers)
    _check(parsed, body, content_type)
    items: dict[str, Item] = {}
    for entry in parsed.entries:
        title = html_to_text(entry.get("title", "") or "").strip()
        text = _text(entry)
        if not title and not text.strip():
            continue
        key = _key(entry, title, text)
        if key not in items:
            items[key] = Item(
                key=key,
                title=title or text.strip()[:120],
                text=text,
                url=urljoin(url, entry["link"]) if entry.get("link") else None,
                published=_when(entry),
                author=entry.get("author") or None,
            )
    return list(items.values())
