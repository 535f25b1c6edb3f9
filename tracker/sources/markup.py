"""HTML for the page and Telegram adapters: the text in its real charset, a safe lxml tree."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import lxml.html
from lxml import etree

from tracker import charset
from tracker.sources.errors import ParseError

_PARSER = lxml.html.HTMLParser(no_network=True, huge_tree=False, remove_comments=True)
MAX_HTML_CHARS = 5_000_000


def decode(body: bytes, content_type: str | None) -> str:
    """Return the page's text in the charset its bytes are in: UTF-8 whenever they are, else
    the charset it declares (header, then meta) if that reads them, else the one detected."""
    declared = (charset.header_charset(content_type), charset.meta_charset(body))
    return charset.decode(body, declared)


def tree(html: str) -> lxml.html.HtmlElement:
    """Parse HTML without network access or huge-tree expansion."""
    if len(html) > MAX_HTML_CHARS:
        raise ParseError(f"the page is over {MAX_HTML_CHARS:,} characters")
    try:
        return lxml.html.document_fromstring(html, parser=_PARSER)
    except (etree.ParserError, ValueError) as exc:
        raise ParseError(f"not readable as HTML: {exc}") from None


def text_of(element: lxml.html.HtmlElement) -> str:
    """Return an element's text with line breaks where <br> and blocks break lines."""
    for br in element.iter("br"):
        br.tail = "\n" + (br.tail or "")
    return clean(element.text_content())


def clean(text: str) -> str:
    """Collapse runs of spaces and blank lines."""
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def when(value: str | None) -> datetime | None:
    """Read an ISO 8601 time (as pages and APIs write them), in UTC."""
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        compact = re.fullmatch(r"(\d{8})T?(\d{6})?", value.strip().rstrip("Z"))
        if compact is None:
            return None
        digits = compact.group(1) + (compact.group(2) or "000000")
        moment = datetime.strptime(digits, "%Y%m%d%H%M%S").replace(tzinfo=UTC)  # GDELT: UTC
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
