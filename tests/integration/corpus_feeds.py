"""The corpus documents as feeds: one source per speaker, items added in publication order."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import format_datetime
from pathlib import Path

from tracker.domain.extraction.document import Document, parse_document

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


@dataclass(frozen=True)
class CorpusDoc:
    """A corpus document and the feed it is published on."""

    name: str
    feed: str
    document: Document

    @property
    def published(self) -> date:
        assert self.document.published is not None
        return self.document.published


def feed_of(document: Document) -> str:
    """Each speaker line is a source of its own ("news (quotes Peskov)" too), so a replayed
    statement is read with the speaker `tracker eval` reads it with."""
    slug = re.sub(r"[^a-z0-9]+", "-", document.speaker.lower()).strip("-")[:40] or "news"
    return f"{slug}-{hashlib.sha256(document.speaker.encode()).hexdigest()[:6]}"


def corpus_docs() -> list[CorpusDoc]:
    """Every corpus document, in publication order (then by file name)."""
    paths = [*sorted((CORPUS / "docs").glob("*.txt")), CORPUS / "seed-article.txt"]
    docs = [parse_document(p.read_text(), p.name) for p in paths]
    return sorted(
        (CorpusDoc(d.id, feed_of(d), d) for d in docs), key=lambda d: (d.published, d.name)
    )


def feeds_of(docs: list[CorpusDoc]) -> dict[str, str]:
    """{feed id: the speaker its source is configured with}."""
    return {d.feed: d.document.speaker for d in docs}


def by_day(docs: list[CorpusDoc]) -> Iterator[tuple[date, list[CorpusDoc]]]:
    """Yield (day, documents published that day) in order."""
    days = sorted({d.published for d in docs})
    for day in days:
        yield day, [d for d in docs if d.published == day]


def noon(day: date) -> datetime:
    """Midday UTC of a day: the time a replayed poll runs."""
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def rss_of(docs: list[CorpusDoc]) -> bytes:
    """An RSS feed whose items are the documents (title, text, date)."""
    from xml.sax.saxutils import escape

    items = []
    for doc in docs:
        # a title that states nothing: the file name's slug would ("zelensky supports ...")
        title = doc.document.title or f"Statement of {doc.published.isoformat()}"
        text = escape(doc.document.text)
        items.append(
            f"<item><title>{escape(title)}</title><guid>{doc.name}</guid>"
            f"<link>https://example.org/{doc.name}</link>"
            f"<pubDate>{format_datetime(noon(doc.published).replace(hour=9))}</pubDate>"
            f"<description>{escape(text)}</description></item>"
        )
    body = "".join(items)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{body}</channel></rss>'.encode()
