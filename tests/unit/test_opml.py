"""Reading OPML safely, planning what an import adds, and appending it to sources.yaml."""

from __future__ import annotations

import codecs

import pytest
import yaml

from tracker.config.models import SourceConfig
from tracker.config.opml import (
    MAX_BYTES,
    NotAppendable,
    OpmlError,
    OpmlFeed,
    Plan,
    Skipped,
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
  <outline text="White House (copy)" type="rss" xmlUrl="https://WWW.whitehouse.gov/news/feed"/>
</body></opml>"""

OPML1 = b"""<opml version="1.0"><head><title>Export</title></head><body>
<outline title="Kyiv Independent" xmlUrl="https://kyivindependent.com/feed/"/></body></opml>"""

SOURCE_ID_RULE = r"^[a-z0-9][a-z0-9._-]{0,99}$"


def _opml(*outlines: str, encoding: str = "utf-8") -> bytes:
    body = "".join(outlines)
    return f"<opml version='2.0'><head/><body>{body}</body></opml>".encode(encoding)


def test_nested_outlines_of_opml_2_are_feeds_in_document_order():
    """Every outline with an xmlUrl is a feed, however deep; a leaf without one is skipped."""
    feeds, skipped = read_opml(OPML2)
    assert feeds == [
        OpmlFeed("President of Russia", "http://en.kremlin.ru/events/president/news/feed"),
        OpmlFeed("White House", "https://www.whitehouse.gov/news/feed/"),
        OpmlFeed("Reuters World", "https://example.org/reuters/world.rss"),
        OpmlFeed("White House (copy)", "https://WWW.whitehouse.gov/news/feed"),
    ]
    assert skipped == [Skipped("A bookmark, not a feed", "not a feed (no xmlUrl)", "not a feed")]


def test_opml_1_is_read():
    """An OPML 1.0 file (title, no text) reads like a 2.0 one."""
    feeds, skipped = read_opml(OPML1)
    assert (feeds, skipped) == (
        [OpmlFeed("Kyiv Independent", "https://kyivindependent.com/feed/")],
        [],
    )


@pytest.mark.parametrize(
    ("xml_url", "url"),
    [
        ("feed://example.org/rss", "http://example.org/rss"),
        ("feed:https://example.org/rss", "https://example.org/rss"),
        ("FEED:http://example.org/rss", "http://example.org/rss"),
        ("  https://example.org/rss?x=1&amp;y=2  ", "https://example.org/rss?x=1&y=2"),
    ],
)
def test_feed_urls_of_old_readers_are_mapped_to_http(xml_url, url):
    """`feed:` URLs (old readers' exports) become the http(s) URL they stand for."""
    feeds, _ = read_opml(_opml(f'<outline text="F" xmlUrl="{xml_url}"/>'))
    assert feeds == [OpmlFeed("F", url)]


def test_titles_are_cleaned_and_a_missing_one_is_named_by_position():
    """A title loses control characters and runs of whitespace; with none, the outline is named."""
    feeds, _ = read_opml(
        _opml(
            '<outline text="  The &#x9;Kyiv\u2028 Independent\u0085 " xmlUrl="https://a.org/f"/>',
            '<outline xmlUrl="https://b.org/f"/>',
        )
    )
    assert [f.title for f in feeds] == ["The Kyiv Independent", "outline 2"]


@pytest.mark.parametrize(
    "data",
    [
        codecs.BOM_UTF8 + _opml('<outline text="Кремль" xmlUrl="http://kremlin.ru/f"/>'),
        _opml('<outline text="Кремль" xmlUrl="http://kremlin.ru/f"/>', encoding="utf-16"),
        _opml('<outline text="Кремль" xmlUrl="http://kremlin.ru/f"/>', encoding="utf-16-le"),
        b'<?xml version="1.0" encoding="windows-1251"?>'
        + _opml('<outline text="Кремль" xmlUrl="http://kremlin.ru/f"/>', encoding="cp1251"),
    ],
    ids=["utf-8 with BOM", "utf-16", "utf-16-le without BOM", "windows-1251 declared"],
)
def test_encodings_are_read_as_an_xml_parser_reads_them(data):
    """The file is decoded by its BOM or its declared encoding, as XML says."""
    feeds, _ = read_opml(data)
    assert feeds == [OpmlFeed("Кремль", "http://kremlin.ru/f")]


LAUGHS = (
    '<!DOCTYPE opml [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    '<opml><body><outline text="&b;" xmlUrl="http://x.org/f"/></body></opml>'
)


@pytest.mark.parametrize(
    "data",
    [
        LAUGHS.encode(),
        LAUGHS.encode("utf-16"),  # past a scan of the raw bytes
        LAUGHS.encode("utf-16-le"),
        LAUGHS.encode("utf-32"),
        ("<?xml version='1.0'?><!-- export -->\n" + LAUGHS.lower()).encode(),
        b'<!DOCTYPE opml SYSTEM "http://127.0.0.1:9/opml.dtd"><opml><body/></opml>',
        b'<opml><body><outline text="x" xmlUrl="http://x.org/f"/></body></opml><!ENTITY a "b">',
    ],
    ids=["utf-8", "utf-16", "utf-16-le", "utf-32", "lower case", "external DTD", "trailing"],
)
def test_doctype_and_entity_declarations_are_refused_in_any_encoding(data):
    """A DOCTYPE or an entity declaration is refused before parsing, whatever the encoding."""
    with pytest.raises(OpmlError, match="DOCTYPE or entity declaration is not allowed"):
        read_opml(data)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", r"^not XML: Document is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", r"^not XML"),
        (b"<opml><body><outline", r"^not XML: .*line 1"),
        (b"<opml><body>\xff</body></opml>", r"^not XML: not valid utf-8 text \(at byte 12\)"),
        (b'<?xml version="1.0" encoding="klingon"?><opml/>', r"^not XML: unknown encoding"),
        (
            b"<html><body><p>Feeds</p></body></html>",
            r"^not an OPML file \(the root element is <html>",
        ),
        (b"<rss version='2.0'><channel/></rss>", r"^not an OPML file \(the root element is <rss>"),
        (b"<opml version='2.0'><head/><body/></opml>", r"^the file lists no feeds"),
        (_opml("<outline text='folder'><outline text='bookmark'/></outline>"), "lists no feeds"),
        (_opml('<outline text="x" xmlUrl=""/>'), "lists no feeds"),
        (b"<opml>" + b" " * MAX_BYTES + b"</opml>", r"^the file is over 5 MB"),
    ],
    ids=[
        "empty",
        "binary",
        "truncated",
        "not utf-8",
        "unknown encoding",
        "html",
        "rss",
        "empty body",
        "bookmarks only",
        "empty xmlUrl",
        "too big",
    ],
)
def test_bad_files_are_refused_with_the_reason(data, message):
    """A file that is not XML, not OPML, lists no feeds or is too big is refused, saying which."""
    with pytest.raises(OpmlError, match=message):
        read_opml(data)


@pytest.mark.parametrize(
    "xml_url",
    [
        "ftp://example.org/feed.xml",
        "javascript:alert(1)",
        "https:///no-host",
        "http://example.org:99999/feed",
        "http://exa mple.org/feed",
        "/relative/feed.xml",
    ],
)
def test_an_invalid_feed_url_is_refused_naming_its_outline_and_line(xml_url):
    """A feed URL that is not http(s) refuses the file, naming the outline, its title and line."""
    data = _opml(
        '<outline text="Good" xmlUrl="https://example.org/good"/>\n',
        f'<outline text="Folder">\n<outline text="Bad one" xmlUrl="{xml_url}"/></outline>',
    )
    expected = f"outline 3 ('Bad one', line 3): xmlUrl is not an http(s) URL: {xml_url!r}"
    with pytest.raises(OpmlError) as caught:
        read_opml(data)
    assert str(caught.value) == expected


@pytest.mark.parametrize(
    ("title", "url", "expected"),
    [
        ("Kremlin", "http://k.ru/f", "kremlin-2"),  # "kremlin" is taken
        ("Kremlin", "http://k.ru/g", "kremlin-3"),
        ("  The *Guardian*: World  ", "https://g.com/w", "the-guardian-world"),
        ("Élysée — Actualités", "https://elysee.fr/f", "elysee-actualites"),
        ("Президент України", "https://www.president.gov.ua/rss", "president-gov-ua"),
        ("???", "http://[::1]/feed", "1"),
        ("", "https://x.org/f", "x-org"),
        ("A" * 150, "https://x.org/f", "a" * 60),
        ("x " * 40, "https://x.org/f", "x-" * 29 + "x"),  # cut at 60, no dash at the end
    ],
)
def test_ids_are_slugs_of_the_title_unique_against_those_taken(title, url, expected):
    """An id is the title's slug (accents folded; else the host's), made unique with -2, -3."""
    taken = {"kremlin"}
    if expected == "kremlin-3":
        source_id("Kremlin", "http://k.ru/f", taken)
    assert source_id(title, url, taken) == expected
    assert expected in taken


def test_every_planned_source_is_valid_and_ids_are_unique():
    """Whatever the titles, each planned source validates as a source, with its own id."""
    titles = ["No", "true", "2024-01-01", "#1: News", "Feed", "Feed", "feed", "Ω" * 120]
    titles += ["x" * 99, "x" * 99, 'He said "no" \\ : #', "null"]
    feeds = [OpmlFeed(t, f"https://example.org/{n}") for n, t in enumerate(titles)]
    plan = plan_import(
        feeds,
        [],
        configured={"feed": "https://other.org/"},
        topics=["t"],
        interval=60,
        speaker=None,
    )
    ids = [e["id"] for e in plan.added]
    assert len(set(ids)) == len(titles)
    assert "feed" not in ids
    for entry in plan.added:
        assert SourceConfig.model_validate(entry).id == entry["id"]
    assert all(len(str(i)) <= 100 for i in ids)


def test_a_plan_skips_configured_urls_and_duplicates_in_the_file():
    """A feed already configured (however its URL is spelled) or listed earlier is skipped."""
    feeds, skipped = read_opml(OPML2)
    plan = plan_import(
        feeds,
        skipped,
        configured={"kremlin-en": "HTTP://en.kremlin.ru:80/events/president/news/feed/"},
        topics=["ukraine-ceasefire"],
        interval=900,
        speaker=None,
    )
    assert [e["id"] for e in plan.added] == ["white-house", "reuters-world"]
    assert [(s.title, s.reason, s.kind) for s in plan.skipped] == [
        ("A bookmark, not a feed", "not a feed (no xmlUrl)", "not a feed"),
        ("President of Russia", "already configured as kremlin-en", "already configured"),
        (
            "White House (copy)",
            "duplicate of 'White House' earlier in the file",
            "duplicate",
        ),
    ]
    assert plan.summary() == (
        "added 2 source(s), skipped 3 (1 already configured, 1 duplicate, 1 not a feed)"
    )


def test_a_planned_source_carries_topics_interval_speaker_and_name():
    """New sources are feeds with the given topics, interval (whole seconds) and speaker."""
    feed = OpmlFeed("Reuters World", "https://example.org/r.rss")
    plan = plan_import(
        [feed], [], configured={}, topics=["a", "b"], interval=600.0, speaker="Wires"
    )
    assert plan.added == [
        {
            "id": "reuters-world",
            "kind": "feed",
            "url": "https://example.org/r.rss",
            "interval": 600,
            "topics": ["a", "b"],
            "speaker": "Wires",
            "name": "Reuters World",
        }
    ]
    bare = plan_import([feed], [], configured={}, topics=["a"], interval=90.5, speaker=None)
    assert bare.added[0]["interval"] == 90.5
    assert "speaker" not in bare.added[0]


@pytest.mark.parametrize(
    ("plan", "dry_run", "summary"),
    [
        (Plan([], []), False, "added 0 source(s), skipped 0"),
        (Plan([{"id": "a"}], []), True, "would add 1 source(s), skipped 0"),
        (
            Plan([], [Skipped("a", "r", "duplicate"), Skipped("b", "r", "duplicate")]),
            True,
            "would add 0 source(s), skipped 2 (2 duplicate)",
        ),
    ],
)
def test_the_summary_counts_what_was_added_and_each_kind_skipped(plan, dry_run, summary):
    """The summary says how many were (or would be) added, and why the others were skipped."""
    assert plan.summary(dry_run=dry_run) == summary


ENTRY = {"id": "new", "kind": "feed", "url": "https://e.org/f", "interval": 60, "topics": ["t"]}
LINE = '  - {id: new, kind: feed, url: "https://e.org/f", interval: 60, topics: [t]}'


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (  # comments kept, the entry after the last item
            "# my sources\nsources:\n  # officials\n  - {id: b, kind: feed}\n  # the end\n\n",
            f"# my sources\nsources:\n  # officials\n  - {{id: b, kind: feed}}\n  # the end\n{LINE}\n\n",
        ),
        (  # an empty inline list becomes a block, its comment kept
            "politeness: {}\nsources: []  # none yet\n",
            f"politeness: {{}}\nsources:  # none yet\n{LINE}\n",
        ),
        ("", f"sources:\n{LINE}\n"),
        ("# nothing yet\npoliteness: {}", f"# nothing yet\npoliteness: {{}}\nsources:\n{LINE}\n"),
        (  # the sources block is not the last: the entry goes inside it
            "sources:\n  - id: b\n    topics:\n      - t\n\n# hosts\npoliteness: {}\n",
            f"sources:\n  - id: b\n    topics:\n      - t\n{LINE}\n\n# hosts\npoliteness: {{}}\n",
        ),
        (  # items at the key's own column
            "sources:\n- {id: b}\npoliteness: {}\n",
            f"sources:\n- {{id: b}}\n{LINE.removeprefix('  ')}\npoliteness: {{}}\n",
        ),
        ("\ufeffsources:\r\n  - {id: b}\r\n", f"\ufeffsources:\r\n  - {{id: b}}\r\n{LINE}\r\n"),
    ],
    ids=["comments", "empty list", "empty file", "no sources", "not last", "column 0", "crlf"],
)
def test_appending_keeps_the_file_and_adds_one_item(before, after):
    """New sources are appended as text inside the `sources` list, the rest left as it was."""
    assert append_sources(before, [ENTRY]) == after


def test_appended_entries_wrap_like_the_shipped_file_and_read_back_exactly():
    """Long entries wrap after the brace; awkward strings read back as they were."""
    names = ['He said "no" \\ yes', "a\u2028b\x85c\u009fd", "Кремль 😀", "no", "key: #tag"]
    entries = [
        {**ENTRY, "id": f"s{n}", "url": f"https://example.org/{'long/' * 12}{n}", "name": name}
        for n, name in enumerate(names)
    ]
    entries.append({**ENTRY, "id": "no", "speaker": "2024-01-01"})
    text = append_sources("sources:\n", entries)
    assert yaml.safe_load(text) == {"sources": entries}
    first = text.splitlines()[1:4]
    assert first[0] == "  - {id: s0, kind: feed,"
    assert first[1].startswith('     url: "https://example.org/long/')
    assert first[2].startswith("     interval: 60, topics: [t], ")
    assert all(len(line) <= 100 for line in text.splitlines() if "long/" not in line)


@pytest.mark.parametrize(
    "before",
    [
        "sources: [{id: b, kind: feed}]\n",
        '"sources":\n  - {id: b}\n',
        "sources:\n  - {id: b}\n---\nsecond: document\n",
        "- just\n- a list\n",
    ],
    ids=["inline list", "quoted key", "two documents", "not a mapping"],
)
def test_a_layout_that_cannot_take_text_is_refused(before):
    """When appending text would not give exactly the old list plus the new one, nothing is."""
    with pytest.raises(NotAppendable, match=r"cannot add the sources to sources\.yaml as text"):
        append_sources(before, [ENTRY])
