"""Alerts as a reader sees them: titles, word diffs, and bodies in text, markdown and HTML."""

from __future__ import annotations

import pytest

from tracker.delivery.templates import Renderer
from tracker.domain.diff import word_diff
from tracker.domain.messages import title

EVIDENCE = {
    "sentence": "Putin agreed to a 30-day halt on energy strikes.",
    "url": "http://e.org/1",
    "title": "Readout",
}
SOURCE = {"id": "kremlin-en", "speaker": "Kremlin", "url": "http://en.kremlin.ru/feed"}
POSITION = {
    "actor": {"id": "putin", "name": "Vladimir Putin"},
    "issue": {"id": "ceasefire", "name": "A general (full) ceasefire"},
    "stance": "conditional",
    "conditions": ["mobilisation stops"],
    "evidence": EVIDENCE,
    "source": SOURCE,
    "stated_at": "2025-03-13T09:00:00+00:00",
}
FACT = {
    "key": "ceasefire.scope",
    "name": "Ceasefire scope",
    "value": "energy_infrastructure",
    "evidence": EVIDENCE,
    "source": SOURCE,
    "stated_at": "2025-03-18T09:00:00+00:00",
}
STATEMENT = {
    "statement": {
        "title": "Putin <b>agrees</b>",
        "text": "Long text " * 200,
        "url": "http://e.org/1",
        "published": "2025-03-18T12:00:00+00:00",
    },
    "source": SOURCE,
    "topics": ["ukraine-ceasefire"],
}


@pytest.fixture(scope="module")
def renderer():
    return Renderer()


def test_word_diff_shows_only_the_change_with_context():
    """The diff marks removed and added words with a few words of context."""
    old = "one two three four five six seven eight nine ten eleven twelve"
    new = "one two three four five six SEVEN eight nine ten eleven twelve"
    assert word_diff(old, new, context=2) == "five six [-seven-] {+SEVEN+} eight nine"


def test_word_diff_is_capped():
    """A rewrite of a long text yields a bounded diff."""
    assert len(word_diff("a " * 5000, "b " * 5000, max_chars=300)) <= 300


def test_a_small_edit_in_a_long_text_is_found_quickly():
    """One changed word in 50,000 shows as one hunk with its context."""
    old = " ".join(f"w{i}" for i in range(50_000))
    new = old.replace(" w25000 ", " changed ")
    assert word_diff(old, new, context=2) == "w24998 w24999 [-w25000-] {+changed+} w25001 w25002"


def test_a_rewrite_of_a_long_text_is_summarised():
    """When most of a long text changed, the diff says so instead of listing every word."""
    old = " ".join(f"a{i}" for i in range(5000))
    new = " ".join(f"b{i}" for i in range(4000))
    assert word_diff(old, new) == "[-5000 words-] {+4000 words+} (rewritten)"


def test_titles_say_what_changed_and_how_urgent():
    """Titles name the change; flash and urgent say so, routine does not."""
    assert title("statement.new", "routine", STATEMENT) == "New statement: Putin <b>agrees</b>"
    assert title("position.new", "flash", POSITION) == (
        "[FLASH] Position: Vladimir Putin conditionally supports a general (full) ceasefire"
    )
    changed = {
        **POSITION,
        "stance": "supports",
        "previous": {"stance": "conditional", "stated_at": "2025-03-13", "source": "putin"},
    }
    assert title("position.changed", "flash", changed) == (
        "[FLASH] Position changed: Vladimir Putin on a general (full) ceasefire: conditionally supports \u2192 supports"
    )
    previous = {"value": "full", "stated_at": "2025-03-13", "source": "zelenskiy"}
    assert (
        title("fact.new", "urgent", FACT)
        == "[URGENT] Key fact: Ceasefire scope: energy infrastructure"
    )
    assert title("fact.changed", "urgent", {**FACT, "previous": previous}) == (
        "[URGENT] Key fact changed: Ceasefire scope: full \u2192 energy infrastructure"
    )
    assert title("fact.disputed", "urgent", {**FACT, "previous": previous}) == (
        "[URGENT] Disputed: Ceasefire scope: full (zelenskiy) vs energy infrastructure (kremlin-en)"
    )
    assert title("source.failing", "routine", {"source": SOURCE}) == "Source failing: kremlin-en"
    assert title("position.new", "flash", {"broken": True}) == "[FLASH] position.new"


def test_position_bodies_quote_the_evidence_in_every_format(renderer):
    """Each format says who holds what, the conditions, the quote, the source and the link."""
    text = renderer.render("position.new", "flash", POSITION, "text").body
    assert "Vladimir Putin conditionally supports a general (full) ceasefire." in text
    assert "Conditions: mobilisation stops" in text
    assert '"Putin agreed to a 30-day halt on energy strikes."' in text
    assert "- Kremlin, 2025-03-13 09:00 UTC" in text
    assert "http://e.org/1" in text
    markdown = renderer.render("position.new", "flash", POSITION, "markdown").body
    assert "**Vladimir Putin** conditionally supports" in markdown
    assert "> Putin agreed to a 30\\-day halt on energy strikes." in markdown
    assert "[Readout](http://e.org/1)" in markdown
    html = renderer.render("position.new", "flash", POSITION, "html").body
    assert "<b>Vladimir Putin</b>" in html
    assert "<blockquote>" in html
    assert '<a href="http://e.org/1">' in html


def test_edits_show_a_word_diff_per_format(renderer):
    """An edit shows removed and added words: as markers, struck and bold, or del and ins."""
    data = {**STATEMENT, "diff": "a [-old-] {+new+} b", "edit": "revised", "previous": {}}
    assert (
        "What changed: a [old \u2192 new] b"
        in renderer.render("statement.edited", "routine", data, "text").body
    )
    assert (
        "a ~~old~~ **new** b"
        in renderer.render("statement.edited", "routine", data, "markdown").body
    )
    assert (
        "a <del>old</del> <ins>new</ins> b"
        in renderer.render("statement.edited", "routine", data, "html").body
    )


def test_untrusted_text_is_escaped_for_each_format(renderer):
    """Markup in statements is escaped in HTML and markdown; only http(s) links become links."""
    evil = {
        **STATEMENT,
        "statement": {
            **STATEMENT["statement"],
            "title": "<script>x</script>",
            "text": "*bold* [x](javascript:alert(1)) <img src=x>",
            "url": "javascript:alert(1)",
        },
    }
    html = renderer.render("statement.new", "routine", evil, "html").body
    assert "<script>" not in html
    assert "&lt;img src=x&gt;" in html
    assert "javascript:" not in html.split("[x]")[0]
    assert 'href="javascript' not in html
    markdown = renderer.render("statement.new", "routine", evil, "markdown").body
    assert "\\*bold\\*" in markdown
    assert "\\<img src=x\\>" in markdown
    assert "](javascript" not in markdown


def test_long_texts_are_excerpted(renderer):
    """A new statement's alert quotes an excerpt, not the whole text."""
    body = renderer.render("statement.new", "routine", STATEMENT, "text").body
    assert body.startswith("Long text")
    assert " ..." in body
    assert len(body) < 900


def test_a_digest_lists_every_event_in_one_message(renderer):
    """A digest says how many updates, and lists each with its link."""
    events = [("statement.new", "routine", STATEMENT), ("fact.new", "urgent", FACT)]
    message = renderer.digest(events, "markdown")
    assert message.title == "[URGENT] Digest: 2 updates"
    assert "- [New statement: Putin \\<b\\>agrees\\</b\\>](http://e.org/1)" in message.body
    assert "Key fact: Ceasefire scope: energy infrastructure" in message.body


def test_a_plain_text_diff_reads_as_words_not_markers(renderer):
    """Plain text shows a replacement as "old → new", and says what was added or removed."""
    data = {
        **STATEMENT,
        "diff": "talks [-could-] {+will not+} resume {+on Monday+} in [-Istanbul-] Geneva",
        "edit": "revised",
        "previous": {},
    }
    body = renderer.render("statement.edited", "routine", data, "text").body
    assert "talks [could \u2192 will not] resume [added: on Monday] in [removed: Istanbul]" in body
    assert "{+" not in body
    assert "[-" not in body


def test_a_stub_filled_in_shows_its_text_not_a_diff_of_all_of_it(renderer):
    """A title-only item whose text arrives: the alert shows the text, titled as published."""
    data = {**STATEMENT, "diff": "{+Long text Long text+}", "edit": "text_added", "previous": {}}
    for fmt in ("text", "markdown", "html"):
        message = renderer.render("statement.edited", "routine", data, fmt)
        assert message.title.startswith("Text published:")
        assert "What changed" not in message.body
        assert "Long text Long text" in message.body


def test_an_old_statement_is_announced_as_older_not_new(renderer):
    """A statement first seen days after it was published says so, in title and body."""
    data = {**STATEMENT, "late": True, "seen": "2025-03-25T08:00:00+00:00"}
    for fmt in ("text", "markdown", "html"):
        message = renderer.render("statement.new", "routine", data, fmt)
        assert message.title.startswith("Older statement (published 2025-03-18):")
        assert "first seen 2025-03-25 08:00 UTC" in message.body
    fresh = renderer.render("statement.new", "routine", STATEMENT, "text")
    assert fresh.title.startswith("New statement:")
    assert "older" not in fresh.body.lower()
