"""The corpus documents as feeds: one source per speaker, items added in publication order."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import format_datetime
from pathlib import Path

from tracker.domain.extraction.document import Document, parse_document

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
# Which feed each document's speaker publishes on, and the speaker line that feed has.
FEEDS = {
    "kremlin": ("Kremlin", ("Kremlin",)),
    "trump": ("Donald J. Trump", ("Donald J. Trump",)),
    "whitehouse": ("The White House", ("The White House",)),
    "zelenskiy": ("Volodymyr Zelenskyy", ("Volodymyr Zelenskyy",)),
    "putin": ("Vladimir Putin", ("Vladimir Putin",)),
    "joint": ("Governments of the United States and Ukraine", ("Governments",)),
    "news": (None, ("news", "Reuters")),
}


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


def _feed_of(document: Document) -> str:
    for feed, (_, prefixes) in FEEDS.items():
        if any(document.speaker.startswith(p) for p in prefixes):
            return feed
    return "news"


def corpus_docs() -> list[CorpusDoc]:
    """Every corpus document, in publication order (then by file name)."""
    paths = [*sorted((CORPUS / "docs").glob("*.txt")), CORPUS / "seed-article.txt"]
    docs = [CorpusDoc(p.name, "", parse_document(p.read_text(), p.name)) for p in paths]
    docs = [CorpusDoc(d.name, _feed_of(d.document), d.document) for d in docs]
    return sorted(docs, key=lambda d: (d.published, d.name))


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
        title = doc.document.title or doc.name.removesuffix(".txt").split("_", 1)[1].replace(
            "_", " "
        )
        text = escape(doc.document.text)
        items.append(
            f"<item><title>{escape(title)}</title><guid>{doc.name}</guid>"
            f"<link>https://example.org/{doc.name}</link>"
            f"<pubDate>{format_datetime(noon(doc.published).replace(hour=9))}</pubDate>"
            f"<description>{escape(text)}</description></item>"
        )
    body = "".join(items)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{body}</channel></rss>'.encode()
