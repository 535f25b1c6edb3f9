"""`json`: a JSON API. JMESPath expressions from the source's `extract` options pick the list
of items and, in each, its id, title, text, url and date (a GDELT DOC API query ships as an
example). Text with markup is reduced to text."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError

from tracker.domain.statements import Item
from tracker.sources.errors import ParseError
from tracker.sources.html_text import html_to_text
from tracker.sources.markup import clean, when

MAX_ITEMS = 5_000


def _field(item: Any, expression: str | None) -> str:
    if not expression:
        return ""
    try:
        value = jmespath.search(expression, item)
    except JMESPathError:
        return ""
    if value is None or isinstance(value, dict | list):
        return ""
    return str(value)


def parse_json(
    body: bytes,
    *,
    url: str,  # noqa: ARG001 - items carry their own links
    content_type: str | None = None,  # noqa: ARG001 - JSON is JSON whatever the label says
    options: Mapping[str, str] | None = None,
) -> list[Item]:
    """Return the items the expressions pick, or raise ParseError."""
    options = options or {}
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise ParseError(f"not JSON: {str(exc)[:120]}") from None
    try:
        found = jmespath.search(options.get("items", "@"), data)
    except JMESPathError as exc:
        raise ParseError(f"the items expression failed: {exc}") from None
    if not isinstance(found, list):
        raise ParseError("the items expression does not give a list")
    items = []
    for entry in found[:MAX_ITEMS]:
        text = clean(html_to_text(_field(entry, options.get("text"))))
        title = clean(html_to_text(_field(entry, options.get("title"))))
        if not text and not title:
            continue
        link = _field(entry, options.get("url")) or None
        key = _field(entry, options.get("id")) or link
        if not key:
            key = (
                "sha1:"
                + hashlib.sha1(f"{title}\n{text}".encode(), usedforsecurity=False).hexdigest()
            )
        items.append(
            Item(
                key=key,
                title=title,
                text=text,
                url=link,
                published=when(_field(entry, options.get("date"))),
            )
        )
    return items
