"""Documents: the header-and-text format of the corpus (`key: value` lines, a blank line, text)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_HEADER = re.compile(r"^([a-z][a-z_]*):\s?(.*)$")
_KNOWN = frozenset(
    {"source", "url", "published", "speaker", "partial", "title", "genre", "language", "note"}
)


@dataclass(frozen=True)
class Document:
    """A statement to extract claims from."""

    id: str
    text: str
    title: str = ""
    speaker: str = ""
    source: str = ""
    url: str = ""
    published: date | None = None
    genre: str = ""  # readout, transcript, agency_report, ... (corpus documents)


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def parse_document(raw: str, doc_id: str = "") -> Document:
    """Read a document; a text without a header is all body."""
    lines = raw.replace("\r\n", "\n").split("\n")
    header: dict[str, str] = {}
    index = 0
    while index < len(lines) and (match := _HEADER.match(lines[index])):
        if match.group(1) not in _KNOWN:
            break
        header[match.group(1)] = match.group(2).strip()
        index += 1
    if not header or (index < len(lines) and lines[index].strip()):
        return Document(id=doc_id, text=raw.strip())
    body = "\n".join(lines[index:]).strip()
    return Document(
        id=doc_id,
        text=body,
        title=header.get("title", ""),
        speaker=header.get("speaker", ""),
        source=header.get("source", ""),
        url=header.get("url", ""),
        published=_date(header.get("published", "")),
        genre=header.get("genre", ""),
    )
