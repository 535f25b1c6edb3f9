"""OPML import: the feeds of a feed reader's export, as sources appended to `sources.yaml`.

Reading is safe: the bytes are decoded here, the text is refused if it holds a DOCTYPE or an
entity declaration, and lxml parses exactly that text (no DTD, no network), under a size cap.
New sources are appended to `sources.yaml` as text, so its comments and layout stay; the
result is re-read to prove the list grew by exactly the new sources, and the caller validates
the whole configuration before writing.

    ValueError
     ├── OpmlError         the OPML file is refused; nothing is imported
     └── NotAppendable     sources.yaml is laid out so that text cannot be appended safely
"""

from __future__ import annotations

import codecs
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

import yaml
from lxml import etree

from tracker import charset

MAX_BYTES = 5 * 1024 * 1024
_DECLARATIONS = re.compile(r"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_SLUG = re.compile(r"[^a-z0-9]+")
_ID_LENGTH = 60  # room for a `-N` suffix within the 100 characters an id may have
_WIDTH = 92  # wrap new entries as the shipped sources.yaml is wrapped
_PLAIN = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
# What PyYAML refuses in a document, or reads as a line break inside a quoted string.
_UNSAFE_IN_YAML = re.compile(
    "[^\t\n\r\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)

_CANNOT = "cannot add the sources to sources.yaml as text; nothing written"

SkipKind = Literal["not a feed", "already configured", "duplicate"]


class OpmlError(ValueError):
    """The file is not an OPML file we can read; nothing is imported."""


class NotAppendable(ValueError):
    """`sources.yaml` is laid out so that new sources cannot be appended to it as text."""


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
    kind: SkipKind = "not a feed"


def read_opml(data: bytes) -> tuple[list[OpmlFeed], list[Skipped]]:
    """Return the feeds of an OPML 1.0 or 2.0 document (in document order, however deeply
    nested) and the outlines that are not feeds; raise OpmlError for a file to refuse."""
    if len(data) > MAX_BYTES:
        raise OpmlError(f"the file is over {MAX_BYTES // (1024 * 1024)} MB")
    text = _decode(data)
    if _DECLARATIONS.search(text):
        raise OpmlError("a DOCTYPE or entity declaration is not allowed in an OPML file")
    root = _parse(charset.replace_xml_declaration(text).encode("utf-8"))
    feeds: list[OpmlFeed] = []
    skipped: list[Skipped] = []
    outlines = (e for e in root.iter() if isinstance(e.tag, str) and e.tag.lower() == "outline")
    for n, outline in enumerate(outlines, start=1):
        attrs = {str(k).lower(): str(v).strip() for k, v in outline.attrib.items()}
        title = _clean(attrs.get("title") or attrs.get("text") or "") or f"outline {n}"
        if not attrs.get("xmlurl"):
            if len(outline) == 0:  # a folder has children; a leaf without a feed is noise
                skipped.append(Skipped(title, "not a feed (no xmlUrl)"))
            continue
        url = _feed_url(attrs["xmlurl"])
        if url is None:
            where = f"outline {n} ({title!r}, line {outline.sourceline})"
            raise OpmlError(f"{where}: xmlUrl is not an http(s) URL: {attrs['xmlurl']!r}")
        feeds.append(OpmlFeed(title, url))
    if not feeds:
        raise OpmlError("the file lists no feeds (no outline has an xmlUrl)")
    return feeds, skipped


def _decode(data: bytes) -> str:
    """Decode as an XML parser would (BOM, then the declared encoding, else UTF-8): an OPML
    file is the user's own export, so bytes its encoding cannot read are an error to show, not
    a charset to guess."""
    codec = charset.wide_encoding(data) or charset.xml_charset(data) or "utf-8"
    try:
        return data.removeprefix(codecs.BOM_UTF8).decode(codec).lstrip("\ufeff")
    except LookupError:
        raise OpmlError(f"not XML: unknown encoding {codec!r}") from None
    except UnicodeDecodeError as exc:
        raise OpmlError(f"not XML: not valid {codec} text (at byte {exc.start})") from None


def _parse(data: bytes) -> etree._Element:
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise OpmlError(f"not XML: {exc.msg}") from None
    if not isinstance(root.tag, str) or root.tag.lower() != "opml":
        raise OpmlError(f"not an OPML file (the root element is <{root.tag}>, not <opml>)")
    return root


def _clean(title: str) -> str:
    """A title on one line, without control characters, of a sensible length."""
    spaced = "".join(" " if unicodedata.category(c) == "Cc" else c for c in title)
    return " ".join(spaced.split())[:200]


def _feed_url(value: str) -> str | None:
    """The feed's http(s) URL (`feed:` URLs of old readers mapped to it), or None."""
    url = re.sub(r"^feed:(?=https?://)", "", value, flags=re.IGNORECASE)
    url = re.sub(r"^feed://", "http://", url, flags=re.IGNORECASE)
    try:
        parts = urlsplit(url)
        valid = parts.scheme.lower() in {"http", "https"} and bool(parts.hostname)
        _ = parts.port  # a port out of range or not a number raises ValueError
    except ValueError:
        return None
    return url if valid and not re.search(r"\s", url) else None


def url_key(url: str) -> str:
    """The URL as feeds are compared: scheme and host in lower case, default port, trailing
    slash and fragment dropped."""
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:  # a configured URL with a port that is no number: compare it as written
        return url.rstrip("/")
    default = {"http": 80, "https": 443}.get(scheme)
    netloc = f"{host}:{port}" if port not in {None, default} else host
    return urlunsplit((scheme, netloc, parts.path.rstrip("/"), parts.query, ""))


def source_id(title: str, url: str, taken: set[str]) -> str:
    """Return an unused source id made from a feed's title (or its host), within the id rules;
    add it to `taken`."""
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    base = _slug(title) or _slug(host) or "feed"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    taken.add(candidate)
    return candidate


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _SLUG.sub("-", ascii_text.lower()).strip("-")[:_ID_LENGTH].rstrip("-")


@dataclass(frozen=True)
class Plan:
    """What an import adds, and what it leaves out."""

    added: list[dict[str, object]]
    skipped: list[Skipped] = field(default_factory=list)

    def summary(self, *, dry_run: bool = False) -> str:
        """`added 2 source(s), skipped 3 (1 already configured, 1 duplicate, 1 not a feed)`."""
        counts = Counter(s.kind for s in self.skipped)
        kinds = ", ".join(f"{counts[k]} {k}" for k in _KINDS if counts[k])
        verb = "would add" if dry_run else "added"
        return f"{verb} {len(self.added)} source(s), skipped {len(self.skipped)}" + (
            f" ({kinds})" if kinds else ""
        )


_KINDS: tuple[SkipKind, ...] = ("already configured", "duplicate", "not a feed")


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
    source id -> URL) nor listed earlier in the file."""
    seconds = int(interval) if float(interval).is_integer() else interval
    common: dict[str, object] = {"interval": seconds, "topics": list(topics)}
    if speaker:
        common["speaker"] = speaker
    taken = set(configured)
    owners = {url_key(url): sid for sid, url in configured.items()}
    earlier: dict[str, str] = {}
    added: list[dict[str, object]] = []
    left = list(skipped)
    for feed in feeds:
        key = url_key(feed.url)
        if key in owners:
            reason = f"already configured as {owners[key]}"
            left.append(Skipped(feed.title, reason, "already configured"))
        elif key in earlier:
            reason = f"duplicate of {earlier[key]!r} earlier in the file"
            left.append(Skipped(feed.title, reason, "duplicate"))
        else:
            earlier[key] = feed.title
            added.append(_entry(feed, source_id(feed.title, feed.url, taken), common))
    return Plan(added, left)


def _entry(feed: OpmlFeed, id_: str, plan: dict[str, object]) -> dict[str, object]:
    """A source in the order the shipped file writes one: id, kind, url, ..., speaker, name."""
    return {"id": id_, "kind": "feed", "url": feed.url, **plan, "name": feed.title}


def append_sources(text: str, entries: list[dict[str, object]]) -> str:
    """Return `sources.yaml` with `entries` appended to its `sources` list, as text: each a
    flow mapping after the list's last item, comments and layout kept. Raise NotAppendable
    when re-reading the result does not give the old list plus exactly the entries."""
    newline = "\r\n" if "\r\n" in text else "\n"
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    lines = text.removeprefix(bom).splitlines()
    start = next((i for i, line in enumerate(lines) if re.match(r"sources[ \t]*:", line)), None)
    if start is None:
        lines.append("sources:")
        start = len(lines) - 1
    value, _, comment = lines[start].partition(":")[2].partition("#")
    if value.strip() == "[]":
        lines[start] = "sources:" + (f"  #{comment}" if comment else "")
    elif value.strip():
        raise NotAppendable(f"{_CANNOT}: its `sources` list is inline ([...]); make it a block")
    end = _block_end(lines, start)
    indent = _item_indent(lines[start + 1 : end])
    lines[end:end] = [line for entry in entries for line in _item_lines(entry, indent)]
    result = bom + newline.join(lines) + newline
    _check_appended(text, result, entries)
    return result


def _block_end(lines: list[str], start: int) -> int:
    """The index after the `sources` block's last item (the end of the file if it is last)."""
    last = start
    for i in range(start + 1, len(lines)):
        line = lines[i]
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[0] in " \t" or line == "-" or line.startswith("- "):
            last = i
            continue
        return last + 1
    # The last block: after its trailing comments, before the file's trailing blank lines.
    return next((i + 1 for i in range(len(lines) - 1, start, -1) if lines[i].strip()), start + 1)


def _item_indent(block: list[str]) -> str:
    """The indentation of the list's items: that of its first item (two spaces if empty)."""
    for line in block:
        if line.strip() and not line.lstrip().startswith("#"):
            found = re.match(r"( *)-(?: |$)", line)
            return found.group(1) if found else "  "
    return "  "


def _item_lines(entry: dict[str, object], indent: str) -> list[str]:
    """A list item as a flow mapping, wrapped as the shipped file is: `  - {id: a, kind: feed,`
    then `     url: ...}`, continuation lines aligned after the brace."""
    lines, line = [], f"{indent}- {{"
    for n, (key, value) in enumerate(entry.items()):
        part = f"{key}: {_flow(value)}" + ("}" if n == len(entry) - 1 else ",")
        if n and len(line) + 1 + len(part) > _WIDTH:
            lines.append(line)
            line = f"{indent}   {part}"
        else:
            line += (" " if n else "") + part
    return [*lines, line]


def _flow(value: object) -> str:
    """A value as one line of YAML flow style, strings quoted unless plainly an identifier."""
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    if isinstance(value, str) and _PLAIN.match(value) and yaml.safe_load(value) == value:
        return value
    if isinstance(value, str):
        quoted = json.dumps(value, ensure_ascii=False)  # JSON strings are YAML strings
        return _UNSAFE_IN_YAML.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)
    return json.dumps(value)


def _check_appended(before: str, after: str, entries: list[dict[str, object]]) -> None:
    try:
        old, new = yaml.safe_load(before) or {}, yaml.safe_load(after)
    except yaml.YAMLError as exc:
        raise NotAppendable(f"{_CANNOT}: the result would not be YAML: {exc}") from None
    if not isinstance(old, dict) or not isinstance(new, dict):
        raise NotAppendable(f"{_CANNOT}: it is not a mapping of politeness and sources")
    expected = {**old, "sources": [*(old.get("sources") or []), *entries]}
    if new != expected:
        raise NotAppendable(f"{_CANNOT}: appending as text would change more than its list")
