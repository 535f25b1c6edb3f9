"""RSS and Atom feeds (feedparser): items with a key, title, text, link and date.

A document type with an internal subset (where entities are declared) is refused before
parsing, wherever padding puts it and whatever the encoding, so an entity-expansion
("billion laughs") feed costs a linear scan; a document that is not well-formed is an error,
except for undefined HTML entities such as `&nbsp;`, which real feeds are full of and
feedparser reads safely. One broken entry is skipped, not the feed; a few bytes that are not
UTF-8 in a UTF-8 feed cost those bytes, not the feed's every quote and dash; a feed in a legacy
charset labelled UTF-8 (or not labelled) is read in the charset its bytes are in.
"""

from __future__ import annotations

import hashlib
import re
from calendar import timegm
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin
from xml.sax import SAXParseException

import feedparser

from tracker import charset
from tracker.domain.statements import Item
from tracker.sources.errors import EntitiesRefused, MalformedFeed, NotAFeed
from tracker.sources.html_text import html_to_text

# Whitespace, processing instructions and comments before the first declaration or element.
# match() always succeeds here, so the scan is linear, not a backtracking search.
_PROLOG = re.compile(r"(?:\s+|<\?.*?\?>|<!--.*?-->)*", re.DOTALL)
_HTML_START = re.compile(
    rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)\b", re.IGNORECASE | re.DOTALL
)
_TOLERATED = ("undefined entity",)
_CHARSET_PARAMETER = re.compile(r"\s*;\s*charset\s*=[^;]*", re.IGNORECASE)
_UTF8_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>'
# Characters XML 1.0 forbids outright. Feeds carry them (a vertical tab pasted from Word, a
# NUL from a CMS); one would fail the whole feed on every poll, so they are dropped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _decoded(body: bytes, content_type: str | None) -> str:
    """Return the feed as text, in the charset its bytes are in.

    Found here (`charset.sniff`: UTF-8 whenever the bytes are, damaged UTF-8 included, else
    the label if it reads them, else detected), not by feedparser, which takes a label at its
    word and falls back to Windows-1252: a Russian feed in Windows-1251 labelled UTF-8 would
    be stored as mojibake.
    """
    return charset.decode(body, (charset.header_charset(content_type), charset.xml_charset(body)))


def _as_utf8(text: str, content_type: str | None) -> tuple[bytes, str]:
    """Return the text as UTF-8 bytes and a content type that says so. The XML declaration
    is replaced: it names the old charset, and feedparser believes it over the header when the
    media type is not XML's; one in its place keeps the line numbers of errors. Characters
    XML forbids are dropped (a lone surrogate becomes "?")."""
    media = _CHARSET_PARAMETER.sub("", content_type or "application/xml")
    readable = charset.replace_xml_declaration(_NOT_XML.sub("", text), _UTF8_DECLARATION)
    return readable.encode(errors="replace"), f"{media}; charset=utf-8"


def _refuse_entities(text: str) -> None:
    """Refuse a DOCTYPE with an internal subset: the only place entities can be declared.

    The text checked is the text feedparser is given, so no encoding can hide a declaration.
    """
    start = _PROLOG.match(text).end()  # type: ignore[union-attr]
    if text[start : start + 9].lower() != "<!doctype":
        return
    declaration = text[start : start + 64 * 1024]
    bracket, close = declaration.find("["), declaration.find(">")
    if bracket >= 0 and (close < 0 or bracket < close):
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


def parse_feed(
    body: bytes,
    *,
    url: str,
    content_type: str | None = None,
    options: Mapping[str, str] | None = None,  # noqa: ARG001 - a feed needs none
) -> list[Item]:
    """Return the items of a feed, first occurrence of each key only; raise ParseError."""
    text = _decoded(body, content_type)
    _refuse_entities(text)
    readable, declared = _as_utf8(text, content_type)
    # No content-location: feedparser would resolve relative GUIDs against the feed URL, and a
    # feed that moves would then look like all-new items. Links are resolved here instead.
    parsed = feedparser.parse(readable, response_headers={"content-type": declared})
    _check(parsed, readable, content_type)
    items: dict[str, Item] = {}
    for entry in parsed.entries:
        item = _item(entry, url)
        if item is not None and item.key not in items:
            items[item.key] = item
    return list(items.values())


def _link(base: str, link: str | None) -> str | None:
    try:
        return urljoin(base, link) if link else None
    except ValueError:  # e.g. "http://[oops": keep the item, drop the link
        return None


def _item(entry: Any, url: str) -> Item | None:
    """Return one entry as an item; None when it has no content or is too broken to read."""
    try:
        title = html_to_text(entry.get("title", "") or "").strip()
        text = _text(entry)
        if not title and not text.strip():
            return None
        return Item(
            key=_key(entry, title, text),
            title=title or text.strip()[:120],
            text=text,
            url=_link(url, entry.get("link")),
            published=_when(entry),
            author=entry.get("author") or None,
        )
    except (ValueError, TypeError, AttributeError, KeyError, OverflowError):
        return None
