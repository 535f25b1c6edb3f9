"""Reading OPML safely, and planning what an import adds."""

from __future__ import annotations

import pytest

from tracker.config.opml import (
    OpmlError,
    OpmlFeed,
    append_sources,
    plan_import,
    read_opml,
    source_id,
)

OPML2 = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>Newsroom feeds</title></head><body>
  <outline text="Officials">
    <outline text="Kremlin" title="President of Russia" type="rss"
             xmlUrl="http://en.kremlin.ru/events/president/news/feed" htmlUrl="http://en.kremlin.ru"/>
    <outline text="White House" type="rss" xmlUrl="https://www.whitehouse.gov/news/feed/"/>
  </outline>
  <outline text="Wires"><outline text="Deep"><outline text="Reuters World" type="rss"
      xmlurl="https://example.org/reuters/world.rss"/></outline></outline>
  <outline text="A bookmark, not a feed" htmlUrl="https://example.org/"/>
  <outline text="FTP feed" xmlUrl="ftp://example.org/feed.xml"/>
</body></opml>"""

OPML1 = b"""<opml version="1.0"><body>
<outline title="Kyiv Independent" xmlUrl="https://kyivindependent.com/feed/"/></body></opml>"""


def test_nested_outlines_of_opml_2_are_read_in_order():
    feeds, skipped = read_opml(OPML2)
    assert feeds == [
        OpmlFeed("President of Russia", "http://en.kremlin.ru/events/president/news/feed"),
        OpmlFeed("White House", "https://www.whitehouse.gov/news/feed/"),
        OpmlFeed("Reuters World", "https://example.org/reuters/world.rss"),
    ]
    assert [(s.title, s.reason) for s in skipped] == [
        ("A bookmark, not a feed", "no xmlUrl (not a feed)"),
        ("FTP feed", "not an http(s) URL: 'ftp://example.org/feed.xml'"),
    ]


def test_opml_1_is_read():
    feeds, _ = read_opml(OPML1)
    assert feeds == [OpmlFeed("Kyiv Independent", "https://kyivindependent.com/feed/")]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'<!DOCTYPE opml [<!ENTITY x "y">]><opml><body/></opml>', "entity declaration"),
        (b"<opml><body><outline", "not XML"),
        (b"<rss version='2.0'><channel/></rss>", r"not an OPML file \(the root element is <rss>"),
        (b"<opml><body><outline text='folder'><outline text='x'/></outline></body></opml>", ""),
        (b"<opml><body/></opml>", "lists no feeds"),
        (b"x" * (5 * 1024 * 1024 + 1), "over 5 MB"),
    ],
)
def test_bad_files_are_refused_with_the_reason(data, message):
    if message == "":  # a leaf that is no feed is skipped, not an error
        feeds, skipped = read_opml(data)
        assert (feeds, [s.title for s in skipped]) == ([], ["x"])
        return
    with pytest.raises(OpmlError, match=message):
        read_opml(data)


def test_ids_are_slugs_unique_against_the_configuration():
    taken = {"kremlin"}
    assert source_id("Kremlin", "http://k.ru/f", taken) == "kremlin-2"
    assert source_id("Kremlin", "http://k.ru/g", taken) == "kremlin-3"
    assert source_id("Президент", "https://president.gov.ua/rss", taken) == "president-gov-ua"
    assert source_id("  The *Guardian*: World  ", "https://g.com/w", taken) == "the-guardian-world"


def test_a_plan_skips_configured_urls_and_duplicates():
    feeds = [
        OpmlFeed("Kremlin", "http://en.kremlin.ru/events/president/news/feed/"),
        OpmlFeed("Reuters", "https://example.org/reuters.rss"),
        OpmlFeed("Reuters again", "https://example.org/reuters.rss"),
    ]
    plan = plan_import(
        feeds,
        [],
        configured={"kremlin-en": "http://en.kremlin.ru/events/president/news/feed"},
        topics=["ukraine-ceasefire"],
        interval=900,
        speaker=None,
    )
    assert [e["id"] for e in plan.added] == ["reuters"]
    assert [(s.title, s.reason) for s in plan.skipped] == [
        ("Kremlin", "already configured"),
        ("Reuters again", "already configured"),
    ]


def test_appending_keeps_comments_and_fills_an_empty_list():
    entry = {"id": "a", "kind": "feed", "url": "https://e.org/f", "topics": ["t"]}
    kept = append_sources(
        "# my sources\nsources:\n  # officials\n  - {id: b, kind: feed}\n", [entry]
    )
    assert kept.startswith("# my sources\nsources:\n  # officials\n  - {id: b, kind: feed}\n")
    assert kept.endswith(
        '  - {"id": "a", "kind": "feed", "url": "https://e.org/f", "topics": ["t"]}\n'
    )
    assert append_sources("sources: []\n", [entry]).startswith("sources:\n  - {")
    assert append_sources("", [entry]).startswith("sources:\n  - {")
