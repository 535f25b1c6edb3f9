"""Pages, JSON APIs and Telegram channels: what each adapter reads, and what bad input gets."""

from __future__ import annotations

import json

import pytest

from tracker.sources.errors import ParseError, TooLittleText
from tracker.sources.json_api import parse_json
from tracker.sources.page import parse_page
from tracker.sources.telegram import parse_telegram

ARTICLE = """<!doctype html><html><head><title>Statement | President of Ukraine</title>
<meta property="og:title" content="Volodymyr Zelenskyy: Ukraine is ready for a full ceasefire">
<meta property="article:published_time" content="2025-03-11T18:30:00+02:00">
<link rel="canonical" href="/en/news/statement-11-03">
</head><body>
<nav><a href="/">Home</a> <a href="/news">News</a> <a href="/about">About the President</a></nav>
<div class="share">Share on Facebook Share on X 1,204 shares</div>
<article><h1>Volodymyr Zelenskyy: Ukraine is ready for a full ceasefire</h1>
<p>Today in Jeddah, our delegation agreed with the American side that Ukraine is ready to
accept the proposal for an immediate, interim 30-day ceasefire, which can be extended by
mutual agreement of the parties.</p>
<p>Ukraine is ready for peace. Now it is up to the United States to convince Russia to do the
same. If Russia agrees, the silence will take effect immediately.</p>
</article>
<footer>© Office of the President of Ukraine, 2025. All rights reserved. Cookie settings.</footer>
</body></html>"""

CONSENT = """<html><head><title>Before you continue</title></head><body>
<div class="consent"><p>We use cookies.</p><button>Accept all</button><button>Reject all</button></div>
</body></html>"""

TELEGRAM = """<html><body><div class="tgme_channel_info">Zelensky Official</div>
<div class="tgme_widget_message_wrap"><div class="tgme_widget_message js-widget_message" data-post="V_Zelenskiy_official/13001">
 <div class="tgme_widget_message_text js-message_text">Ukraine supports the US proposal of a 30-day ceasefire.<br>We are ready for peace.</div>
 <div class="tgme_widget_message_footer"><a class="tgme_widget_message_date" href="https://t.me/V_Zelenskiy_official/13001"><time datetime="2025-03-11T19:04:00+00:00">19:04</time></a></div>
</div></div>
<div class="tgme_widget_message_wrap"><div class="tgme_widget_message js-widget_message" data-post="V_Zelenskiy_official/13002">
 <div class="tgme_widget_message_photo_wrap"></div>
 <div class="tgme_widget_message_footer"><a class="tgme_widget_message_date" href="https://t.me/V_Zelenskiy_official/13002"><time datetime="2025-03-11T19:10:00+00:00">19:10</time></a></div>
</div></div>
</body></html>"""

GDELT = {
    "articles": [
        {
            "url": "https://example.org/putin-energy",
            "title": "Putin agrees to halt strikes on energy infrastructure",
            "seendate": "20250318T194500Z",
            "domain": "example.org",
        },
        {"url": "https://example.org/empty", "title": "", "seendate": "20250318T200000Z"},
    ]
}
GDELT_OPTIONS = {
    "items": "articles",
    "id": "url",
    "title": "title",
    "text": "title",
    "url": "url",
    "date": "seendate",
}


def test_a_page_is_its_main_text_without_navigation_share_buttons_or_footer():
    (item,) = parse_page(
        ARTICLE.encode(), url="https://www.president.gov.ua/en/news/x", content_type="text/html"
    )
    assert item.title == "Volodymyr Zelenskyy: Ukraine is ready for a full ceasefire"
    assert "interim 30-day ceasefire" in item.text
    assert "Share on" not in item.text
    assert "shares" not in item.text
    assert "Cookie settings" not in item.text
    assert "About the President" not in item.text
    assert item.url == item.key == "https://www.president.gov.ua/en/news/statement-11-03"
    assert item.published is not None
    assert item.published.isoformat() == "2025-03-11T16:30:00+00:00"


def test_a_share_count_change_leaves_the_text_alone():
    changed = ARTICLE.replace("1,204 shares", "2,381 shares")
    before = parse_page(ARTICLE.encode(), url="https://e.org/a", content_type="text/html")
    after = parse_page(changed.encode(), url="https://e.org/a", content_type="text/html")
    assert before[0].text == after[0].text


def test_a_selector_picks_the_text_and_one_that_matches_nothing_is_a_failure():
    (item,) = parse_page(ARTICLE.encode(), url="https://e.org/a", options={"selector": "article p"})
    assert item.text.startswith("Today in Jeddah")
    with pytest.raises(TooLittleText, match="matches nothing"):
        parse_page(ARTICLE.encode(), url="https://e.org/a", options={"selector": ".statement-body"})


def test_a_consent_wall_is_too_little_text_not_a_statement():
    with pytest.raises(TooLittleText, match="almost no text"):
        parse_page(CONSENT.encode(), url="https://e.org/a", content_type="text/html")


def test_a_mislabelled_page_is_read_in_its_real_charset():
    body = ARTICLE.replace("Zelenskyy:", "Zelenskyy\u2019s statement:").encode("cp1252")
    (item,) = parse_page(body, url="https://e.org/a", content_type="text/html; charset=utf-8")
    assert "Zelenskyy\u2019s statement" in item.title


def test_a_pdf_is_not_a_page():
    with pytest.raises(ParseError, match="not a web page"):
        parse_page(b"%PDF-1.7", url="https://e.org/a.pdf", content_type="application/pdf")


def test_telegram_posts_with_text_are_statements_keyed_by_post():
    items = parse_telegram(TELEGRAM.encode(), url="https://t.me/s/V_Zelenskiy_official")
    (post,) = items  # the photo-only post says nothing
    assert post.key == "V_Zelenskiy_official/13001"
    assert post.title == "Ukraine supports the US proposal of a 30-day ceasefire."
    assert "We are ready for peace." in post.text
    assert post.url == "https://t.me/V_Zelenskiy_official/13001"
    assert post.published is not None
    assert post.published.hour == 19


def test_a_page_that_is_no_telegram_preview_is_refused():
    with pytest.raises(ParseError, match="not a Telegram channel preview"):
        parse_telegram(CONSENT.encode(), url="https://t.me/s/x")


def test_json_items_are_read_with_jmespath_and_empty_ones_skipped():
    (item,) = parse_json(
        json.dumps(GDELT).encode(), url="https://api.gdeltproject.org/x", options=GDELT_OPTIONS
    )
    assert item.key == item.url == "https://example.org/putin-energy"
    assert item.text == item.title == "Putin agrees to halt strikes on energy infrastructure"
    assert item.published is not None
    assert item.published.isoformat() == "2025-03-18T19:45:00+00:00"


def test_json_text_with_markup_is_reduced_to_text_and_items_without_ids_get_one():
    body = json.dumps({"data": [{"body": "<p>Putin <b>agreed</b> to a truce.</p>"}]}).encode()
    (item,) = parse_json(body, url="https://e.org/api", options={"items": "data", "text": "body"})
    assert item.text == "Putin agreed to a truce."
    assert item.key.startswith("sha1:")


@pytest.mark.parametrize(
    ("body", "options", "message"),
    [
        (b"<html>not json</html>", {"items": "a", "text": "b"}, "not JSON"),
        (b'{"articles": {"a": 1}}', {"items": "articles", "text": "t"}, "does not give a list"),
        (b"[" * 100_000 + b"]" * 100_000, {"items": "@", "text": "t"}, "not JSON"),
    ],
    ids=["html", "not a list", "nested too deep"],
)
def test_bad_json_is_a_parse_error(body, options, message):
    with pytest.raises(ParseError, match=message):
        parse_json(body, url="https://e.org/api", options=options)


def test_reading_a_page_again_gives_the_same_text():
    """No memory between polls: the tenth read of a page is the first (no dedup across calls)."""
    reads = [
        parse_page(ARTICLE.encode(), url="https://e.org/a", content_type="text/html")[0].text
        for _ in range(3)
    ]
    assert reads[0] == reads[1] == reads[2]
    assert "interim 30-day ceasefire" in reads[2]


@pytest.mark.parametrize("selector", [None, "article p, article .stamp, article .tools"])
def test_a_restamped_date_or_a_share_row_inside_the_article_is_not_part_of_its_text(selector):
    """Date stamps and share rows inside the article itself (where main-text extraction keeps
    them) are dropped, so restamping a page is not an edit; a sentence with a date stays."""

    def page(stamp: str) -> bytes:
        return ARTICLE.replace(
            "<article><h1>",
            f"<article><p class='stamp'>Updated {stamp}</p>"
            "<p class='tools'>Share | Tweet | Email</p><h1>",
        ).encode()

    options = {"selector": selector} if selector else None
    (before,) = parse_page(page("09:15 GMT, 11 March 2025"), url="https://e.org/a", options=options)
    (after,) = parse_page(page("5 minutes ago"), url="https://e.org/a", options=options)
    assert before.text == after.text
    assert "Updated" not in before.text
    assert "Tweet" not in before.text
    assert "interim 30-day ceasefire" in before.text
