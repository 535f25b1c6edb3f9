"""Documents: the header-and-text format of the corpus (`key: value` lines, a blank line, text)."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
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


# A statement is never this long; a longer text (a page of archives, a runaway body) is read
# as far as this, and the reader is told.
MAX_TEXT = 100_000
_SAMPLE = 4_000
_MAJORITY = 0.5


_LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]")


def script_of(text: str) -> str:
    """Return the script most of a text's letters are written in ("LATIN", "CYRILLIC", "CJK")."""
    sample = text[:_SAMPLE]
    latin = len(_LATIN_LETTER.findall(sample))  # the common case, counted without a lookup
    scripts = Counter(
        unicodedata.name(char, "UNKNOWN").split(" ", 1)[0]
        for char in _LATIN_LETTER.sub("", sample)
        if char.isalpha()
    )
    if latin:
        scripts["LATIN"] += latin
    if not scripts:
        return ""
    script, count = scripts.most_common(1)[0]
    return script if count / sum(scripts.values()) > _MAJORITY else ""


def screened(text: str, scripts: frozenset[str]) -> tuple[str, list[str]]:
    """Return the part of a text the extractor reads, and notes on what it leaves out: the
    rest of an overlong text, or all of a text in a script the vocabulary is not written in."""
    notes = []
    if not text.strip():
        return "", ["the document has no text"]
    if len(text) > MAX_TEXT:
        notes.append(f"read the first {MAX_TEXT:,} of {len(text):,} characters")
        text = text[:MAX_TEXT]
    script = script_of(text)
    if script and script not in scripts:
        name = script if len(script) <= len("CJK") else script.title()
        notes.append(
            f"the text is in {name} script, which this topic's vocabulary does not read: no claims"
        )
        return "", notes
    return text, notes
