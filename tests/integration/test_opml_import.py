"""`tracker sources import FILE.opml` through the real command: sources appended to the
configuration (comments kept), re-import adds nothing, bad files change nothing."""

from __future__ import annotations

import pytest

from tests.unit.test_opml import OPML2

SOURCES = """# Our sources. Officials first.
sources:
  # the Kremlin's English feed
  - {id: kremlin-en, kind: feed, url: "http://en.kremlin.ru/events/president/news/feed",
     interval: 300, topics: [ukraine-ceasefire]}
"""


@pytest.fixture
def opml(tmp_path):
    path = tmp_path / "export.opml"
    path.write_bytes(OPML2)
    return path


def test_import_appends_new_feeds_and_keeps_the_file_as_it_was(cli, config_dir, opml):
    sources = config_dir.path / "sources.yaml"
    sources.write_text(SOURCES)
    dry = cli("sources", "import", str(opml), "--dry-run").stdout
    assert "would add white-house: https://www.whitehouse.gov/news/feed/" in dry
    assert sources.read_text() == SOURCES

    out = cli("sources", "import", str(opml), "--interval", "10m", "--speaker", "Wires").stdout
    assert "add white-house: https://www.whitehouse.gov/news/feed/" in out
    assert "add reuters-world: https://example.org/reuters/world.rss" in out
    assert "skip President of Russia: already configured" in out
    assert "skip A bookmark, not a feed: no xmlUrl (not a feed)" in out
    assert "added 2 source(s), skipped 3" in out
    text = sources.read_text()
    assert text.startswith(SOURCES)  # comments and layout kept
    assert "ok: 3 sources" in cli("check-config").stdout
    cli("init")
    listed = cli("sources", "list").stdout
    assert "white-house" in listed
    assert "reuters-world" in listed

    again = cli("sources", "import", str(opml)).stdout
    assert "added 0 source(s), skipped 5" in again
    assert sources.read_text() == text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<rss version='2.0'/>", "not an OPML file"),
        (b"<opml><body><outline", "not XML"),
        (b'<!DOCTYPE x [<!ENTITY a "b">]><opml/>', "entity declaration"),
    ],
)
def test_a_bad_file_gets_its_reason_and_changes_nothing(
    cli, config_dir, tmp_path, content, message
):
    sources = config_dir.path / "sources.yaml"
    sources.write_text(SOURCES)
    bad = tmp_path / "bad.opml"
    bad.write_bytes(content)
    result = cli("sources", "import", str(bad), expect=2)
    assert message in result.stderr
    assert sources.read_text() == SOURCES


def test_an_import_that_would_not_validate_writes_nothing(cli, config_dir, opml):
    sources = config_dir.path / "sources.yaml"
    sources.write_text(SOURCES)
    result = cli("sources", "import", str(opml), "--topic", "no-such-topic", expect=2)
    assert "would not validate; nothing written" in result.stderr
    assert "no-such-topic" in result.stderr
    missing = cli("sources", "import", str(config_dir.path / "nope.opml"), expect=2)
    assert "cannot read" in missing.stderr
    assert sources.read_text() == SOURCES
