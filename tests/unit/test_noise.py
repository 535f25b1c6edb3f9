"""A source's noise rules: ignored patterns, stripped link parameters, the smallest edit that
is news, and the flip-flop window."""

from __future__ import annotations

from tracker.domain.diff import words_changed
from tracker.domain.normalise import NoiseRules, fingerprint
from tracker.domain.sources import SourceSpec
from tracker.domain.statements import Change, Item, Observation, StoredStatement, classify

RULES = NoiseRules(ignore=(r"updated \d{1,2}:\d{2} gmt", r"\d+ views"))


def test_ignored_patterns_are_left_out_of_the_comparison():
    a = "Putin agreed to a 30-day energy truce. Updated 12:31 GMT. 1200 views"
    b = "Putin agreed to a 30-day energy truce. Updated 14:02 GMT. 1875 views"
    assert fingerprint("t", a, RULES) == fingerprint("t", b, RULES)
    assert fingerprint("t", a) != fingerprint("t", b)  # without the rules, they differ
    c = "Putin agreed to a 60-day energy truce. Updated 14:02 GMT. 1875 views"
    assert fingerprint("t", a, RULES) != fingerprint("t", c, RULES)  # a real change still is


def test_stripped_parameters_leave_the_link_with_the_usual_trackers():
    rules = NoiseRules(strip_params=frozenset({"src", "ito"}))
    item = Item(
        key="k",
        title="t",
        text="x",
        url="https://Example.org/a?id=5&src=rss&ito=792&utm_source=x#top",
        published=None,
    )
    assert Observation.of(item, rules).url == "https://example.org/a?id=5"
    assert Observation.of(item).url == "https://example.org/a?id=5&src=rss&ito=792"


def test_words_changed_counts_what_an_edit_removed_and_added():
    assert words_changed("a b c d", "a b c d") == 0
    assert words_changed("a 30-day truce", "a 60-day truce") == 2
    assert words_changed("Putin said yes", "Putin said yes today") == 1
    assert words_changed("one two three", "four five") == 5


def test_a_text_from_beyond_the_flip_flop_window_is_restored_not_reverted():
    stored = StoredStatement(1, "c", announced=True, version_count=3)
    known = frozenset({"a", "b", "c"})
    assert classify(stored, "a", known) is Change.REVERTED  # no window: any earlier text
    assert classify(stored, "b", known, recent=frozenset({"b", "c"})) is Change.REVERTED
    assert classify(stored, "a", known, recent=frozenset({"b", "c"})) is Change.RESTORED
    assert classify(stored, "d", known, recent=frozenset({"b", "c"})) is Change.EDITED


def test_a_spec_gives_its_rules():
    spec = SourceSpec(
        "s",
        "feed",
        "http://e.org/f",
        60,
        ("t",),
        noise={"ignore": ["x+"], "strip_params": ["SRC"], "min_change": 3, "flip_flop": 2},
    )
    assert spec.noise_rules() == NoiseRules(
        ignore=("x+",), strip_params=frozenset({"src"}), min_change=3, flip_flop=2
    )
    assert SourceSpec("s", "feed", "http://e.org/f", 60, ("t",)).noise_rules() == NoiseRules()
