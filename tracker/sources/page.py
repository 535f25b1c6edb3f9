"""`page`: one web page, one statement. Its text is the page's main content (boilerplate,
navigation, share buttons and comments left out), or what a CSS selector picks."""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.html

from tracker.domain.statements import Item
from tracker.sources.errors import ParseError, TooLittleText
from tracker.sources.markup import clean, decode, tree, when

MIN_WORDS = 15
_MONTHS = (
    "jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|april|june|"
    "july|august|september|october|november|december"
)
# A line that is only a date, a time or "updated 5 minutes ago": pages restamp these on every
# load, and they say nothing of the statement.
_DATE_LINE = re.compile(
    r"^(?:(?:last\s+)?(?:updated|published|posted|modified|date)\s*:?\s*)?"
    r"(?:(?:on|at|\d{1,4}|\d{1,2}:\d{2}(?::\d{2})?|am|pm|gmt|utc|[a-z]{3,4}t|"
    rf"(?:{_MONTHS})\.?|mon|tue|wed|thu|fri|sat|sun|monday|tuesday|wednesday|thursday|friday|"
    r"saturday|sunday|today|yesterday|ago|just|now|an?|seconds?|minutes?|mins?|hours?|hrs?|"
    r"days?|weeks?)[\s,./:-]*)+$",
    re.IGNORECASE,
)
# ... and that has something only a date stamp has (a number alone is not one)
_DATE_CUE = re.compile(
    rf"\d{{1,2}}:\d{{2}}|\d{{4}}-\d{{2}}-\d{{2}}|\b(?:{_MONTHS}|ago|today|yesterday|updated|"
    r"published|posted|mon|tue|wed|thu|fri|sat|sun)\b",
    re.IGNORECASE,
)
# A line that is only share buttons
_SHARE_LINE = re.compile(
    r"^(?:(?:share(?:\s+(?:this|on))?|tweet|facebook|twitter|x|telegram|whatsapp|e-?mail|"
    r"print|copy(?:\s+link)?|linkedin|reddit|vk|viber|messenger)[\s|·•,:/-]*)+$",
    re.IGNORECASE,
)


def _stamp_or_buttons(line: str) -> bool:
    line = line.strip()
    return bool((_DATE_LINE.match(line) and _DATE_CUE.search(line)) or _SHARE_LINE.match(line))


def _noise_free(text: str) -> str:
    """Drop lines that are only a date stamp or share buttons (pages change them on every
    load)."""
    return "\n".join(ln for ln in text.split("\n") if ln.strip() and not _stamp_or_buttons(ln))


def _meta(doc: lxml.html.HtmlElement, *names: str) -> str | None:
    for name in names:
        for node in doc.xpath(f'//meta[@property="{name}" or @name="{name}"]/@content'):
            if str(node).strip():
                return str(node).strip()
    return None


def _title(doc: lxml.html.HtmlElement) -> str:
    found = _meta(doc, "og:title", "twitter:title")
    if found:
        return found
    for path in ("//h1", "//title"):
        nodes = doc.xpath(path)
        if nodes and (text := clean(nodes[0].text_content())):
            return text
    return ""


def _main_text(html: str, doc: lxml.html.HtmlElement, selector: str | None) -> str:
    if selector:
        nodes = doc.cssselect(selector)
        if not nodes:
            raise TooLittleText(f"the selector {selector!r} matches nothing on the page")
        return _noise_free(clean("\n\n".join(n.text_content() for n in nodes)))
    import trafilatura

    # fast: trafilatura's own extractor alone, without comparing its result against
    # readability and jusText; that comparison took three quarters of a page's time
    # (issue 13: 9.8 of 13 CPU seconds over 1,000 pages) for the same text on news pages.
    found = trafilatura.extract(
        html,
        fast=True,
        include_comments=False,
        include_tables=False,
        include_links=False,
        favor_precision=True,
    )
    return _noise_free(clean(found or ""))


def parse_page(
    body: bytes,
    *,
    url: str,
    content_type: str | None = None,
    options: Mapping[str, str] | None = None,
) -> list[Item]:
    """Return the page as one statement, or raise ParseError / TooLittleText."""
    if content_type and not any(t in content_type for t in ("html", "xml", "text/plain")):
        raise ParseError(f"not a web page ({content_type.split(';')[0]})")
    html = decode(body, content_type)
    doc = tree(html)
    text = _main_text(html, doc, (options or {}).get("selector"))
    if len(text.split()) < MIN_WORDS:
        raise TooLittleText(
            "the page yields almost no text (a consent wall, a paywall, or a changed layout?)"
        )
    canonical = doc.xpath('//link[@rel="canonical"]/@href')
    link = urljoin(url, str(canonical[0])) if canonical else url
    published = when(
        _meta(doc, "article:published_time", "og:published_time", "date", "dc.date")
        or next(iter(doc.xpath("//time/@datetime")), None)
    )
    return [Item(key=link, title=_title(doc), text=text, url=link, published=published)]


def parse_links(
    body: bytes,
    *,
    url: str,
    content_type: str | None = None,
    options: Mapping[str, str] | None = None,
) -> list[Item]:
    """Return the articles a listing page links to, in page order, as items to open: the links
    the `follow` selector picks (an `a`, or the first link inside what it picks), absolute,
    without fragments, each once; the title is the link's text."""
    selector = (options or {}).get("follow") or "a"
    if content_type and not any(t in content_type for t in ("html", "xml", "text/plain")):
        raise ParseError(f"not a web page ({content_type.split(';')[0]})")
    doc = tree(decode(body, content_type))
    items, seen = [], set()
    for node in doc.cssselect(selector):
        anchor = node if node.tag == "a" else next(iter(node.xpath(".//a[@href]")), None)
        href = anchor.get("href") if anchor is not None else None
        if not href:
            continue
        link = urldefrag(urljoin(url, href.strip())).url
        if urlsplit(link).scheme not in {"http", "https"} or link in seen:
            continue
        seen.add(link)
        title = clean(node.text_content()) or link
        items.append(Item(key=link, title=title[:300], text="", url=link))
    if not items:
        raise TooLittleText(f"the follow selector {selector!r} finds no links on the listing page")
    return items
