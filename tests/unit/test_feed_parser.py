"""Feed parsing: what each kind of bad or odd feed gets."""

from __future__ import annotations

import resource
import time
from pathlib import Path

import pytest

from tests.servers import item, rss
from tracker.sources.errors import EntitiesRefused, MalformedFeed, NotAFeed
from tracker.sources.feed import parse_feed

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "feeds" / "whitehouse"
BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<rss version="2.0"><channel><title>&lol9;</title><item><title>Putin &lol9;</title><guid>b1</guid></item></channel></rss>"""


def parse(body: bytes, content_type: str | None = "application/rss+xml"):
    return parse_feed(body, url="http://feeds.example.org/wire.xml", content_type=content_type)


def test_items_have_key_title_text_link_and_date():
    """An RSS item becomes an item with its GUID, plain text and an aware UTC date."""
    text = "<p>The <b>leaders</b> spoke.</p><p>Then more.</p>"
    (one,) = parse(rss(item("g1", "Putin call", text, pub="Tue, 18 Mar 2025 12:00:00 GMT")))
    assert one.key == "g1"
    assert one.title == "Putin call"
    assert one.text.split() == ["The", "leaders", "spoke.", "Then", "more."]
    assert one.url == "http://example.org/g1"
    assert one.published is not None
    assert one.published.isoformat() == "2025-03-18T12:00:00+00:00"


def test_entity_declarations_are_refused_fast_and_small():
    """A billion-laughs feed is refused before parsing, in bounded time and memory."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    with pytest.raises(EntitiesRefused, match="entity declarations refused"):
        parse(BOMB)
    assert time.monotonic() - started < 1
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50_000


@pytest.mark.parametrize(
    ("name", "document"),
    [
        (
            "padded with 8 MB of whitespace",
            b'<?xml version="1.0"?>' + b" " * 8_000_000 + BOMB.split(b"?>", 1)[1],
        ),
        (
            "padded with comments",
            b'<?xml version="1.0"?>' + b"<!-- x -->" * 50_000 + BOMB.split(b"?>", 1)[1],
        ),
        ("encoded as UTF-16", BOMB.decode().encode("utf-16")),
        ("encoded as UTF-16 without a BOM", BOMB.decode().encode("utf-16-le")),
        ("with a byte-order mark", b"\xef\xbb\xbf" + BOMB),
        ("with a lower-case doctype", BOMB.replace(b"<!DOCTYPE", b"<!doctype")),
    ],
)
def test_entity_declarations_are_refused_however_they_are_hidden(name, document):
    """Padding, comments, encodings and case do not smuggle an entity declaration past the check."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(EntitiesRefused):
        parse(document)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100_000


def test_an_external_doctype_without_entities_is_read():
    """Old RSS 0.91 feeds name an external DTD; that alone is fine (it is never fetched)."""
    body = (
        b'<?xml version="1.0"?><!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
        b'"http://my.netscape.com/publish/formats/rss-0.91.dtd"><rss version="0.91"><channel><title>t</title>'
        b"<item><title>Putin call</title><link>http://e.org/1</link></item></channel></rss>"
    )
    assert [i.title for i in parse(body)] == ["Putin call"]


def test_an_unparseable_link_drops_the_link_not_the_item():
    """An entry whose link is not a URL keeps its title and text."""
    body = rss(item("g1", "Putin call", "text")).replace(
        b"http://example.org/g1", b"http://[oops/x"
    )
    (one,) = parse(body)
    assert (one.title, one.url) == ("Putin call", None)


def test_html_page_is_not_a_feed():
    """An HTML page served where a feed should be is reported as such."""
    with pytest.raises(NotAFeed, match="HTML page"):
        parse(b"<html><body><p>Putin ceasefire</p></body></html>", "text/html")


def test_truncated_feed_is_malformed_and_yields_nothing():
    """A feed cut off mid-item is malformed XML: no half items are stored."""
    with pytest.raises(MalformedFeed, match="no element found"):
        parse(b'<?xml version="1.0"?><rss version="2.0"><channel><item><title>Trump Putin')


def test_mismatched_tags_are_malformed():
    """Broken nesting is malformed XML."""
    with pytest.raises(MalformedFeed, match="mismatched tag"):
        parse(
            b'<?xml version="1.0"?><rss version="2.0"><channel><item><title>A</titl></item></channel></rss>'
        )


def test_undefined_html_entities_are_tolerated():
    """`&nbsp;` in a feed (common, harmless) does not fail the feed."""
    body = b'<?xml version="1.0"?><rss version="2.0"><channel><item><title>A&nbsp;B</title><guid>1</guid></item></channel></rss>'
    (one,) = parse(body)
    assert one.title.replace("\xa0", " ") == "A B"


def test_json_or_garbage_is_not_a_feed():
    """Bytes that are no XML at all are not a feed."""
    with pytest.raises((NotAFeed, MalformedFeed)):
        parse(b'{"items": []}', "application/json")


def test_duplicate_guids_keep_the_first_item():
    """Two items with one GUID count once (the first)."""
    items = parse(rss(item("same", "First", "one"), item("same", "Second", "two")))
    assert [i.title for i in items] == ["First"]


def test_items_without_guid_link_or_date_still_get_stable_keys():
    """Without GUID or link, the key is a hash of the content, the same on every poll."""
    body = rss({"title": "No id", "description": "text"}, {"title": "Other", "description": "more"})
    first, second = parse(body), parse(body)
    assert [i.key for i in first] == [i.key for i in second]
    assert first[0].key.startswith("sha256:")
    assert first[0].published is None
    assert len({i.key for i in first}) == 2


def test_atom_feeds_parse():
    """Atom entries use their id, link and content."""
    body = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
    <title>t</title><id>urn:f</id><updated>2025-03-18T10:00:00Z</updated>
    <entry><id>urn:e1</id><title>Kremlin readout</title><updated>2025-03-18T10:00:00Z</updated>
    <link href="/e1"/><content type="html">&lt;p&gt;Putin spoke.&lt;/p&gt;</content></entry></feed>"""
    (one,) = parse(body, "application/atom+xml")
    assert (one.key, one.title, one.text.strip()) == ("urn:e1", "Kremlin readout", "Putin spoke.")
    assert one.url == "http://feeds.example.org/e1"


def test_ten_thousand_items_parse():
    """A 10,000-item feed yields 10,000 items."""
    body = rss(*(item(f"g{i}", f"Item {i}", "text") for i in range(10_000)))
    assert len(parse(body)) == 10_000


def test_the_real_whitehouse_feed_parses_with_relative_channel_link():
    """The real White House feed (relative channel link, midnight dates) parses fully."""
    body = (CORPUS / "000.xml").read_bytes()
    items = parse(body)
    assert len(items) == 11
    assert all(i.key.startswith("https://www.whitehouse.gov/") for i in items)
    assert sum(i.published is not None and i.published.hour == 0 for i in items) == 10


RUSSIAN_TITLE = "Путин согласился на 30-дневный отказ от ударов по энергетике"
RUSSIAN_TEXT = (
    "Путин согласился на 30-дневный отказ от ударов по энергетической инфраструктуре, "
    "сообщили в Кремле; полное перемирие он отверг."
)


def _russian(declaration: str = "utf-8") -> str:
    """A Russian feed as text, its XML declaration naming `declaration`."""
    return (
        rss(item("r1", RUSSIAN_TITLE, RUSSIAN_TEXT))
        .decode()
        .replace('encoding="utf-8"', f'encoding="{declaration}"')
    )


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (_russian().encode("cp1251"), "application/rss+xml; charset=utf-8"),
        (_russian().encode("cp1251"), "application/rss+xml"),
        (_russian().encode("cp1251"), "text/xml"),
        (_russian().encode("cp1251"), None),
        (_russian("windows-1251").encode("cp1251"), "application/rss+xml"),
        (_russian("utf-8").encode("cp1251"), "application/rss+xml; charset=windows-1251"),
        (_russian("windows-1251").encode("cp1251"), "text/xml; charset=utf-8"),
        (_russian("windows-1251").encode(), "application/octet-stream"),
        (_russian("koi8-r").encode("koi8-r"), "application/rss+xml; charset=utf-8"),
    ],
    ids=[
        "windows-1251 labelled utf-8",
        "windows-1251 declared utf-8",
        "windows-1251 as text/xml",
        "windows-1251 without a content type",
        "windows-1251 declared so",
        "windows-1251 labelled so in the header",
        "windows-1251 declared so, labelled utf-8 in the header",
        "utf-8 declared windows-1251, not served as XML",
        "koi8-r labelled utf-8",
    ],
)
def test_a_russian_feed_is_read_in_its_real_charset_whatever_the_label(body, content_type):
    """A Russian feed is stored in Cyrillic, however its charset is labelled or mislabelled."""
    (one,) = parse(body, content_type)
    assert (one.title, one.text) == (RUSSIAN_TITLE, RUSSIAN_TEXT)


def test_an_entity_declaration_in_a_mislabelled_legacy_charset_is_refused():
    """A feed whose real charset hides nothing from the check: its DOCTYPE is refused too."""
    body = BOMB.replace(b"Putin", "Путин".encode("cp1251"))
    with pytest.raises(EntitiesRefused):
        parse(body, "application/rss+xml; charset=utf-8")


def test_malformed_xml_in_a_mislabelled_feed_reports_its_own_line():
    """Re-encoding a feed keeps the line numbers its errors name."""
    body = _russian().replace(f"{RUSSIAN_TITLE}</title>", "</titel>").encode("cp1251")
    with pytest.raises(MalformedFeed, match=r"mismatched tag \(line 4\)"):
        parse(body, "application/rss+xml; charset=utf-8")


def test_characters_xml_forbids_cost_only_themselves():
    """A vertical tab or a NUL in one item (pasted from a word processor, written by a CMS)
    would make the whole feed malformed on every poll; they are dropped, and every item read."""
    body = rss(
        item("g1", "Putin\x0b on the call", "Peskov said\x00 the call went well.\x0c"),
        item("g2", "Zelenskiy on the truce", "Kyiv backs the energy ceasefire."),
    )
    items = parse_feed(body, url="http://example.org/feed.xml")
    assert [(i.title, i.text) for i in items] == [
        ("Putin on the call", "Peskov said the call went well."),
        ("Zelenskiy on the truce", "Kyiv backs the energy ceasefire."),
    ]
