"""What the extractor reads of a document: the text, cut to a statement's length, in a script
its vocabulary is written in."""

from __future__ import annotations

from pathlib import Path

from tracker.config.loader import load_config
from tracker.domain.extraction.document import MAX_TEXT, Document, screened
from tracker.domain.extraction.extractor import RuleExtractor

ROOT = Path(__file__).resolve().parents[2]
LATIN = frozenset({"LATIN"})


def test_an_overlong_text_is_read_up_to_the_limit_and_the_reader_is_told():
    """A 5 MB text is read as far as MAX_TEXT characters, and a note says so."""
    text, notes = screened("Putin agreed to a ceasefire. " * 200_000, LATIN)
    assert len(text) == MAX_TEXT
    assert notes == [f"read the first {MAX_TEXT:,} of {29 * 200_000:,} characters"]


def test_a_text_in_another_script_is_not_read():
    """Chinese or Arabic text yields nothing to read and a note naming its script."""
    for sample, script in (("普京与特朗普通电话" * 10, "CJK"), ("بوتين وترامب" * 10, "Arabic")):
        text, notes = screened(sample, LATIN)
        assert text == ""
        assert script in notes[0]


def test_empty_and_ordinary_texts():
    """An empty text is said to be empty; an English one is read whole, without notes."""
    assert screened("   \n", LATIN) == ("", ["the document has no text"])
    assert screened("Putin agreed.", LATIN) == ("Putin agreed.", [])


def test_the_extractor_passes_the_notes_on():
    """`extract` returns the notes with its (empty) claims."""
    extractor = RuleExtractor(load_config(ROOT / "config").vocabularies["ukraine-ceasefire"])
    extraction = extractor.extract(Document(id="x", text="普京同意停火。" * 20))
    assert (extraction.positions, extraction.facts) == ([], [])
    assert "CJK script" in extraction.notes[0]
