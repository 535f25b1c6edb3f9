"""`tracker sources import FILE.opml` through the real command: feeds appended to sources.yaml
(comments and layout kept) and loaded by `init`; re-import adds nothing; bad input changes
nothing and says why."""

from __future__ import annotations

import difflib
import json
import shutil
from pathlib import Path

import pytest
import yaml

from tests.unit.test_opml import LAUGHS, OPML2

ROOT = Path(__file__).resolve().parents[2]
# These tests read and write only the configuration: one database is enough for them.
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

SOURCES = """# Our sources. Officials first.
sources:
  # the Kremlin's English feed
  - {id: kremlin-en, kind: feed, url: "http://en.kremlin.ru/events/president/news/feed",
     interval: 300, topics: [ukraine-ceasefire]}   # polled every five minutes
  - id: white-house                                 # an id the import must not reuse
    kind: page
    url: https://www.whitehouse.gov/briefings-statements/
    topics:
      - ukraine-ceasefire

# Politeness per host: the test servers live on 127.0.0.1.
politeness:
  hosts:
    127.0.0.1: {rate: 1000, burst: 1000, concurrency: 100}
"""


@pytest.fixture
def sources(config_dir) -> Path:
    path = config_dir.path / "sources.yaml"
    path.write_text(SOURCES)
    return path


@pytest.fixture
def opml(tmp_path) -> Path:
    path = tmp_path / "export.opml"
    path.write_bytes(OPML2)
    return path


def _inserted(before: str, after: str) -> list[str]:
    """The lines `after` adds to `before`, asserting that it only adds one block of them."""
    old, new = before.splitlines(), after.splitlines()
    changes = [
        op for op in difflib.SequenceMatcher(None, old, new).get_opcodes() if op[0] != "equal"
    ]
    assert [op[0] for op in changes] == ["insert"], changes
    _, i, _, j1, j2 = changes[0]
    assert old[i - 1].lstrip().startswith("- ukraine-ceasefire"), "not after the last source"
    return new[j1:j2]


def test_import_adds_the_feeds_and_keeps_the_file_as_it_was(cli, sources, opml):
    """New feeds land in the sources list, comments kept; `init` and `sources list` show them."""
    dry = cli("sources", "import", str(opml), "--dry-run").stdout
    assert "would add white-house-2: https://www.whitehouse.gov/news/feed/" in dry
    assert "would add 2 source(s), skipped 3" in dry
    assert sources.read_text() == SOURCES

    args = ("--interval", "10m", "--speaker", "Wires", "--topic", "ukraine-ceasefire")
    out = cli("sources", "import", str(opml), *args).stdout
    assert "add white-house-2: https://www.whitehouse.gov/news/feed/" in out
    assert "add reuters-world: https://example.org/reuters/world.rss" in out
    assert "skip President of Russia: already configured as kremlin-en" in out
    assert "skip White House (copy): duplicate of 'White House' earlier in the file" in out
    assert "skip A bookmark, not a feed: not a feed (no xmlUrl)" in out
    assert "added 2 source(s), skipped 3" in out

    text = sources.read_text()
    added = _inserted(SOURCES, text)
    assert added[0].startswith("  - {id: white-house-2, kind: feed,")
    new = yaml.safe_load(text)["sources"][2:]
    assert new == [
        {
            "id": "white-house-2",
            "kind": "feed",
            "url": "https://www.whitehouse.gov/news/feed/",
            "interval": 600,
            "topics": ["ukraine-ceasefire"],
            "speaker": "Wires",
            "name": "White House",
        },
        {
            "id": "reuters-world",
            "kind": "feed",
            "url": "https://example.org/reuters/world.rss",
            "interval": 600,
            "topics": ["ukraine-ceasefire"],
            "speaker": "Wires",
            "name": "Reuters World",
        },
    ]
    assert "ok: 4 sources" in cli("check-config").stdout
    assert "sources: 4 configured (4 added" in cli("init").stdout
    listed = cli("sources", "list").stdout
    assert "white-house-2" in listed
    assert "reuters-world" in listed
    rows = [json.loads(line) for line in cli("sources", "list", "--json").stdout.splitlines()]
    assert {r["id"]: r["kind"] for r in rows if r["id"] in {"white-house-2", "reuters-world"}} == {
        "white-house-2": "feed",
        "reuters-world": "feed",
    }

    again = cli("sources", "import", str(opml)).stdout
    assert "skip White House: already configured as white-house-2" in again
    assert "added 0 source(s), skipped 5" in again
    assert sources.read_text() == text


@SQLITE_ONLY
def test_new_sources_follow_every_configured_topic_by_default(cli, config_dir, sources, opml):
    """Without `--topic`, an imported feed belongs to every topic under config/topics/."""
    (config_dir.path / "topics" / "gaza-truce.yaml").write_text(
        "id: gaza-truce\nname: Gaza truce\nrelevance: {terms: [truce]}\n"
    )
    cli("sources", "import", str(opml))
    new = yaml.safe_load(sources.read_text())["sources"][2:]
    assert [s["topics"] for s in new] == [["gaza-truce", "ukraine-ceasefire"]] * 2
    assert all("speaker" not in s and s["interval"] == 900 for s in new)
    assert "ok: 4 sources, 2 topics" in cli("check-config").stdout


@SQLITE_ONLY
def test_an_import_into_the_shipped_configuration_keeps_it_and_validates(cli, config_dir, opml):
    """The shipped sources.yaml, its comments and wrapped entries, takes an import unchanged."""
    for name in ("sources.yaml", "alerts.yaml"):
        shutil.copy(ROOT / "config" / name, config_dir.path / name)
    before = (config_dir.path / "sources.yaml").read_text()
    count = len(yaml.safe_load(before)["sources"])
    out = cli("sources", "import", str(opml)).stdout
    assert "skip President of Russia: already configured as kremlin-en" in out
    assert "skip White House: already configured as whitehouse-news" in out
    assert "added 1 source(s), skipped 4" in out
    after = (config_dir.path / "sources.yaml").read_text()
    assert after.startswith(before)
    assert after.removeprefix(before).startswith("  - {id: reuters-world, kind: feed,")
    assert f"ok: {count + 1} sources" in cli("check-config").stdout


BAD = [
    ("not-xml", b"<opml><body><outline", (), "not XML: "),
    ("garbage", b"\x89PNG\r\n\x1a\n\x00\x00\xff", (), "not XML: "),
    ("rss", b"<rss version='2.0'><channel/></rss>", (), "not an OPML file (the root element"),
    ("entities", LAUGHS.encode(), (), "DOCTYPE or entity declaration is not allowed"),
    ("entities-utf16", LAUGHS.encode("utf-16"), (), "DOCTYPE or entity declaration"),
    ("no-feeds", b"<opml><body><outline text='bookmark'/></body></opml>", (), "lists no feeds"),
    (
        "bad-url",
        (
            b"<opml><body>\n<outline text='A' xmlUrl='https://a.org/f'/>\n"
            b"<outline text='B' xmlUrl='ftp://b.org/f'/></body></opml>"
        ),
        (),
        "outline 2 ('B', line 3): xmlUrl is not an http(s) URL: 'ftp://b.org/f'",
    ),
    ("too-big", b"<opml>" + b" " * (5 * 1024 * 1024) + b"</opml>", (), "over 5 MB"),
    ("missing", None, (), "cannot read"),
    ("unknown-topic", OPML2, ("--topic", "no-such-topic"), "would not validate; nothing written"),
    ("short-interval", OPML2, ("--interval", "5"), "would not validate; nothing written"),
    ("bad-interval", OPML2, ("--interval", "soon"), "not a duration: 'soon'"),
]


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("content", "args", "message"), [b[1:] for b in BAD], ids=[b[0] for b in BAD]
)
def test_bad_input_gets_its_reason_and_changes_nothing(
    cli, config_dir, sources, tmp_path, content, args, message
):
    """Each kind of bad input exits 2 naming the problem; sources.yaml stays byte for byte."""
    before = sources.read_bytes()
    files = sorted(p.name for p in config_dir.path.iterdir())
    path = tmp_path / "bad.opml"
    if content is not None:
        path.write_bytes(content)
    result = cli("sources", "import", str(path), *args, expect=2)
    assert message in result.stderr
    assert result.stderr.startswith("error: ")
    assert "added" not in result.stdout
    assert sources.read_bytes() == before
    assert sorted(p.name for p in config_dir.path.iterdir()) == files  # no temporary file left


@SQLITE_ONLY
def test_a_broken_configuration_is_reported_and_left_alone(cli, config_dir, sources, opml):
    """When sources.yaml is already invalid, the import names its problem and writes nothing."""
    broken = SOURCES.replace("interval: 300", "interval: often")
    sources.write_text(broken)
    result = cli("sources", "import", str(opml), expect=2)
    assert "sources.yaml" in result.stderr
    assert "interval" in result.stderr
    assert sources.read_text() == broken


@SQLITE_ONLY
def test_the_file_keeps_its_permissions(cli, sources, opml):
    """sources.yaml is replaced atomically but keeps its mode (a worker may read it as
    another user)."""
    sources.chmod(0o644)
    cli("sources", "import", str(opml))
    assert sources.stat().st_mode & 0o777 == 0o644


@SQLITE_ONLY
def test_a_dry_run_says_when_the_import_would_not_validate(cli, sources, opml):
    """--dry-run checks the result too: an unknown topic is an error, not "would add"."""
    before = sources.read_bytes()
    result = cli("sources", "import", str(opml), "--dry-run", "--topic", "nope", expect=2)
    assert "would not validate" in result.stderr
    assert sources.read_bytes() == before
