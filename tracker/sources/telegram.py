"""`telegram`: a public channel through its web preview (`https://t.me/s/NAME`); each post is
a statement, keyed by its permanent id (`NAME/123`)."""

from __future__ import annotations

from collections.abc import Mapping

from tracker.domain.statements import Item
from tracker.sources.errors import ParseError
from tracker.sources.markup import decode, text_of, tree, when

TITLE_CHARS = 120


def parse_telegram(
    body: bytes,
    *,
    url: str,  # noqa: ARG001 - posts carry their own links
    content_type: str | None = None,
    options: Mapping[str, str] | None = None,  # noqa: ARG001 - a channel needs none
) -> list[Item]:
    """Return the channel's posts that carry text (media-only posts say nothing to track)."""
    doc = tree(decode(body, content_type))
    posts = doc.xpath('//div[contains(@class, "tgme_widget_message") and @data-post]')
    if not posts and not doc.xpath('//*[contains(@class, "tgme_channel_info")]'):
        raise ParseError("not a Telegram channel preview (t.me/s/NAME)")
    items = []
    for post in posts:
        texts = post.xpath('.//div[contains(@class, "tgme_widget_message_text")]')
        text = text_of(texts[0]) if texts else ""
        if not text:
            continue
        links = post.xpath('.//a[contains(@class, "tgme_widget_message_date")]')
        link = links[0].get("href") if links else None
        stamp = post.xpath('.//a[contains(@class, "tgme_widget_message_date")]//time/@datetime')
        first_line = text.split("\n", 1)[0]
        title = first_line if len(first_line) <= TITLE_CHARS else first_line[:TITLE_CHARS] + "…"
        items.append(
            Item(
                key=str(post.get("data-post")),
                title=title,
                text=text,
                url=link,
                published=when(str(stamp[0])) if stamp else None,
            )
        )
    return items
