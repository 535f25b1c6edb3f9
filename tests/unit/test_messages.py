"""Alert messages and word diffs as a reader sees them."""

from __future__ import annotations

from tracker.domain.diff import word_diff
from tracker.domain.messages import render


def test_word_diff_shows_only_the_change_with_context():
    """The diff marks removed and added words with a few words of context."""
    old = "one two three four five six seven eight nine ten eleven twelve"
    new = "one two three four five six SEVEN eight nine ten eleven twelve"
    assert word_diff(old, new, context=2) == "five six [-seven-] {+SEVEN+} eight nine"


def test_word_diff_is_capped():
    """A rewrite of a long text yields a bounded diff."""
    assert len(word_diff("a " * 5000, "b " * 5000, max_chars=300)) <= 300


def test_new_statement_message_has_title_excerpt_link_and_source():
    """A new-statement alert says what, quotes the text, and links it."""
    data = {
        "statement": {
            "title": "Putin agrees",
            "text": "Long text " * 200,
            "url": "http://e.org/1",
            "published": "2025-03-18T12:00:00+00:00",
        },
        "source": {"id": "kremlin-en", "speaker": "Kremlin"},
        "topics": ["ukraine-ceasefire"],
    }
    message = render("statement.new", "routine", data)
    assert message.title == "New statement: Putin agrees"
    assert message.body.startswith("Long text")
    assert " ..." in message.body
    assert "http://e.org/1" in message.body
    assert "source: Kremlin" in message.body


def test_severity_prefixes_urgent_and_flash_titles():
    """Flash and urgent alerts say so in the title; routine ones do not."""
    data = {
        "source": {"id": "wire", "url": "http://e.org"},
        "consecutive_failures": 3,
        "error": "HTTP 500",
    }
    assert render("source.failing", "urgent", data).title == "[URGENT] Source failing: wire"
    assert render("source.failing", "routine", data).title == "Source failing: wire"
    assert (
        "3 failed polls in a row. Last error: HTTP 500"
        in render("source.failing", "routine", data).body
    )


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


EVIDENCE = {"sentence": "Putin agreed to a 30-day halt on energy strikes.", "url": "http://e.org/1"}
SOURCE = {"id": "kremlin-en", "speaker": "Kremlin"}


def test_position_alerts_say_who_now_holds_what_and_quote_it():
    """A new position names actor, stance and issue; a change shows old -> new and when it was old."""
    data = {
        "actor": {"id": "putin", "name": "Vladimir Putin"},
        "issue": {"id": "ceasefire", "name": "A general (full) ceasefire"},
        "stance": "conditional",
        "conditions": ["mobilisation stops"],
        "evidence": EVIDENCE,
        "source": SOURCE,
        "stated_at": "2025-03-13T09:00:00+00:00",
    }
    new = render("position.new", "flash", data)
    assert (
        new.title
        == "[FLASH] Position: Vladimir Putin conditionally supports a general (full) ceasefire"
    )
    assert new.body.startswith("Conditions: mobilisation stops")
    assert "\u201cPutin agreed to a 30-day halt on energy strikes.\u201d" in new.body
    assert "\u2014 Kremlin, 2025-03-13" in new.body
    assert "http://e.org/1" in new.body
    changed = render(
        "position.changed",
        "flash",
        {
            **data,
            "stance": "supports",
            "conditions": [],
            "previous": {
                "stance": "conditional",
                "conditions": [],
                "stated_at": "2025-03-13T09:00:00",
                "source": "putin",
            },
        },
    )
    assert changed.title == (
        "[FLASH] Position changed: Vladimir Putin on a general (full) ceasefire: "
        "conditionally supports \u2192 supports"
    )
    assert "Before: conditionally supports (said 2025-03-13, putin)" in changed.body


def test_fact_alerts_show_the_value_the_change_and_the_dispute():
    """Facts read as name: value; a change as old -> new; a dispute as both values and sources."""
    data = {
        "key": "ceasefire.scope",
        "name": "Ceasefire scope",
        "value": "energy_infrastructure",
        "evidence": EVIDENCE,
        "source": SOURCE,
        "stated_at": "2025-03-18T09:00:00+00:00",
    }
    assert (
        render("fact.new", "urgent", data).title
        == "[URGENT] Key fact: Ceasefire scope: energy infrastructure"
    )
    previous = {"value": "full", "stated_at": "2025-03-13", "source": "zelenskiy"}
    changed = render("fact.changed", "urgent", {**data, "previous": previous})
    assert (
        changed.title
        == "[URGENT] Key fact changed: Ceasefire scope: full \u2192 energy infrastructure"
    )
    disputed = render(
        "fact.disputed", "urgent", {**data, "previous": previous, "values": [previous, {}]}
    )
    assert (
        disputed.title
        == "[URGENT] Disputed: Ceasefire scope: full (zelenskiy) vs energy infrastructure (kremlin-en)"
    )
