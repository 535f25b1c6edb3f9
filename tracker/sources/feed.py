"""RSS and Atom feeds (feedparser): items with a key, title, text, link and date.

A document type with an internal subset (where entities are declared) is refused before
parsing, wherever padding puts it and whatever the encoding, so an entity-expansion
("billion laughs") feed costs a linear scan; a document that is not well-formed is an error,
except for undefined HTML entities such as `&nbsp;`, which real feeds are full of and
feedparser reads safely. One broken entry is skipped, not the feed; a few bytes that are not
UTF-8 in a UTF-8 feed cost those bytes, not the feed's every quote and dash.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from calendar import timegm
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin
from xml.sax import SAXParseException

import feedparser

from tracker.domain.statements import Item
from tracker.sources.errors import EntitiesRefused, MalformedFeed, NotAFeed
from tracker.sources.html_text import html_to_text

# Whitespace, processing instructions and comments before the first declaration or element.
# match() always succeeds here, so the scan is linear, not a backtracking search.
_PROLOG = re.compile(r"(?:\s+|<\?.*?\?>|<!--.*?-->)*", re.DOTALL)
_WIDE_ENCODINGS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
    (b"<\0\0\0", "utf-32-le"),
    (b"\0\0\0<", "utf-32-be"),
    (b"<\0", "utf-16-le"),
    (b"\0<", "utf-16-be"),
)
_HTML_START = re.compile(
    rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)\b", re.IGNORECASE | re.DOTALL
)
_TOLERATED = ("undefined entity",)
_WIDE_MARKS = tuple(mark for mark, _ in _WIDE_ENCODINGS)
_REPLACEMENT = "\ufffd"
_REPLACEMENT_BYTES = _REPLACEMENT.encode()
_CHARSET_PARAMETER = re.compile(r"\s*;\s*charset\s*=[^;]*", re.IGNORECASE)


def _as_text(body: bytes) -> str:
    """Return the body as text for scanning markup: wide encodings decoded, others as Latin-1.

    Latin-1 maps every byte to one character, so ASCII markup reads the same in any
    ASCII-compatible encoding, and the decode is linear and cannot fail.
    """
    for mark, codec in _WIDE_ENCODINGS:
        if body.startswith(mark):
            return body.decode(codec, errors="replace").lstrip("\ufeff")
    return body.removeprefix(codecs.BOM_UTF8).decode("latin-1")


def _as_utf8(body: bytes, content_type: str | None) -> tuple[bytes, str | None]:
    """Return the body and content type to parse: UTF-8 whenever the bytes are UTF-8.

    Text in a legacy charset practically never forms valid multi-byte UTF-8 sequences, so a
    body that does is UTF-8 whatever its label says: a UTF-8 feed labelled Windows-1252 would
    otherwise be stored as mojibake (a typographic apostrophe as three letters, so "Kyiv's"
    no longer matches the term "Kyiv"). A body with at least as many such characters as
    invalid bytes is UTF-8 with damage: each stray byte becomes U+FFFD, where feedparser would
    read the whole feed as Windows-1252 and turn every stored item into an edit. A body with
    no multi-byte character, or mostly invalid bytes (a legacy charset under a wrong label),
    is left to its label and feedparser's fallback, which read those right.
    """
    if body.startswith(_WIDE_MARKS):
        return body, content_type
    text = body.decode("utf-8", errors="replace")
    # each invalid byte sequence decodes to one U+FFFD; the ones the feed itself carried are text
    invalid = text.count(_REPLACEMENT) - body.count(_REPLACEMENT_BYTES)
    multibyte = len(text) - len(text.encode("ascii", errors="ignore")) - invalid
    if not multibyte or multibyte < invalid:
        return body, content_type
    media = _CHARSET_PARAMETER.sub("", content_type or "application/xml")
    return (text.encode() if invalid else body), f"{media}; charset=utf-8"


def _refuse_entities(body: bytes) -> None:
    """Refuse a DOCTYPE with an internal subset: the only place entities can be declared."""
    text = _as_text(body)
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
    _refuse_entities(body)
    readable, declared = _as_utf8(body, content_type)
    # No content-location: feedparser would resolve relative GUIDs against the feed URL, and a
    # feed that moves would then look like all-new items. Links are resolved here instead.
    headers = {"content-type": declared} if declared else {}
    parsed = feedparser.parse(readable, response_headers=headers)
    _check(parsed, body, content_type)
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
