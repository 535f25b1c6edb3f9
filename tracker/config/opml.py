"""OPML import: the feeds of a feed reader's export, as sources appended to `sources.yaml`.

Reading is safe (no entities, no DTD, no network, a size cap); each outline with an `xmlUrl`
is a feed, wherever it is nested. New sources are appended to the file as text, so its
comments and layout stay as they are; the caller validates the result before writing it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from lxml import etree

MAX_BYTES = 5 * 1024 * 1024
_DECLARATIONS = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_SLUG = re.compile(r"[^a-z0-9]+")


class OpmlError(ValueError):
    """The file is not an OPML file we can read; nothing is imported."""


@dataclass(frozen=True)
class OpmlFeed:
    """One feed of the file: its title and URL."""

    title: str
    url: str


@dataclass(frozen=True)
class Skipped:
    """An outline that is not imported, and why."""

    title: str
    reason: str


def read_opml(data: bytes) -> tuple[list[OpmlFeed], list[Skipped]]:
    """Return the feeds of an OPML document (in document order) and the outlines skipped."""
    if len(data) > MAX_BYTES:
        raise OpmlError(f"the file is over {MAX_BYTES // (1024 * 1024)} MB")
    if _DECLARATIONS.search(data):
        raise OpmlError("a DOCTYPE or entity declaration is not allowed in an OPML file")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False
    )
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise OpmlError(f"not XML: {exc}") from None
    if not isinstance(root.tag, str) or root.tag.lower() != "opml":
        raise OpmlError(f"not an OPML file (the root element is <{root.tag}>, not <opml>)")
    feeds: list[OpmlFeed] = []
    skipped: list[Skipped] = []
    for n, outline in enumerate(root.iter("outline"), start=1):
        attrs = {str(k).lower(): str(v).strip() for k, v in outline.attrib.items()}
        title = attrs.get("title") or attrs.get("text") or f"outline {n}"
        url = attrs.get("xmlurl", "")
        if not url:
            if len(outline) == 0:  # a folder has children; a leaf without a feed is noise
                skipped.append(Skipped(title, "no xmlUrl (not a feed)"))
            continue
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            skipped.append(Skipped(title, f"not an http(s) URL: {url!r}"))
            continue
        feeds.append(OpmlFeed(title, url))
    if not feeds and not skipped:
        raise OpmlError("the file lists no feeds (no outline has an xmlUrl)")
    return feeds, skipped


def source_id(title: str, url: str, taken: set[str]) -> str:
    """Return an unused source id made from a feed's title (or host), within the id rules."""
    base = _SLUG.sub("-", title.lower()).strip("-")[:60] or (urlsplit(url).hostname or "feed")
    base = _SLUG.sub("-", base.lower()).strip("-")[:60] or "feed"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    taken.add(candidate)
    return candidate


@dataclass(frozen=True)
class Plan:
    """What an import adds, and what it leaves out."""

    added: list[dict[str, object]]
    skipped: list[Skipped]


def plan_import(
    feeds: Iterable[OpmlFeed],
    skipped: Iterable[Skipped],
    *,
    configured: dict[str, str],
    topics: list[str],
    interval: float,
    speaker: str | None,
) -> Plan:
    """Decide the new sources: one per feed whose URL is not configured yet (`configured`:
    source id -> URL), each once."""
    taken = set(configured)
    known = {url.rstrip("/") for url in configured.values()}
    added: list[dict[str, object]] = []
    left = list(skipped)
    for feed in feeds:
        key = feed.url.rstrip("/")
        if key in known:
            left.append(Skipped(feed.title, "already configured"))
            continue
        known.add(key)
        entry: dict[str, object] = {
            "id": source_id(feed.title, feed.url, taken),
            "kind": "feed",
            "url": feed.url,
            "interval": interval,
            "topics": topics,
            "name": feed.title,
        }
        if speaker:
            entry["speaker"] = speaker
        added.append(entry)
    return Plan(added, left)


def append_sources(text: str, entries: list[dict[str, object]]) -> str:
    """Return `sources.yaml` with `entries` appended to its `sources` list, as text (comments
    and layout kept). The file's `sources` list must be its last block, or empty (`[]`)."""
    import json

    lines = text.rstrip("\n").split("\n") if text.strip() else []
    if not any(re.match(r"^sources\s*:", line) for line in lines):
        lines.append("sources:")
    lines = [re.sub(r"^sources\s*:\s*\[\s*\]\s*$", "sources:", line) for line in lines]
    indent = "  "
    for line in lines:
        found = re.match(r"^(\s*)- ", line)
        if found:
            indent = found.group(1)
    for entry in entries:
        # JSON is YAML: a flow mapping on one line, every string quoted and escaped
        lines.append(f"{indent}- {json.dumps(entry, ensure_ascii=False)}")
    return "\n".join(lines) + "\n"
