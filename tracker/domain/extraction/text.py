"""Sentences with their offsets, and the quoted speech inside them."""

from __future__ import annotations

import re
from dataclasses import dataclass

_ABBREVIATIONS = frozenset(
    (
        "mr mrs ms dr st jr sr gen col lt sgt gov sen rep pres prof no vs etc e.g i.e a.m p.m "
        "jan feb mar apr jun jul aug sep sept oct nov dec u.s u.k u.n e.u d.c inc ltd co corp"
    ).split()
)
# A sentence ends at . ! ? (or …) followed by space and an upper-case letter, digit or quote,
# and at line breaks that end a line of its own (see _line_break_ends_sentence).
# ... and where scraping glued two sentences together ("drones.Zelensky said"): a lower-case
# word, its full stop and quote, then a capitalised word, with no space between.
_BOUNDARY = re.compile(
    r"(?<=[.!?\u2026])[\"'\u201d\u2019)\]]*\s+(?=[\"'\u201c\u2018(\[]?[A-Z0-9@])|\n+"
    r"|(?<=[a-z]{2}[.!?])[\"\u201d\u2019]?(?=[A-Z][a-z])"
)
_LINE_END = '.!?:;"\u201d\u2019\u2026)]'
_LINE_START = '"\u201c\u00ab([-*\u2022'
_OPENING, _CLOSING, _EITHER = "\u201c\u00ab", "\u201d\u00bb", '"'


@dataclass(frozen=True)
class Sentence:
    """A sentence of a document: its text, where it starts, and which parts are quoted."""

    text: str
    start: int
    index: int
    starts_in_quote: bool = False

    @property
    def end(self) -> int:
        """Return the offset just past the sentence."""
        return self.start + len(self.text)

    @property
    def quoted(self) -> bool:
        """Return whether the sentence begins as quoted speech."""
        return self.starts_in_quote or self.text[:1] in _OPENING + _EITHER

    @property
    def question(self) -> bool:
        """Return whether the sentence is a question (claims are not read from questions)."""
        return self.text.rstrip("\"'\u201d\u2019)] ").endswith("?")


def _abbreviation_before(text: str, position: int) -> bool:
    word = re.search(r"([A-Za-z.]+)\.$", text[max(0, position - 12) : position])
    return word is not None and word.group(1).lower().rstrip(".") in _ABBREVIATIONS


def _line_break_ends_sentence(text: str, match: re.Match[str]) -> bool:
    """A blank line always ends a sentence; a single line break only after final punctuation
    or before an opening quote (so text wrapped at a fixed width reads as one sentence)."""
    if match.group(0).count("\n") > 1:
        return True
    before = text[: match.start()].rstrip()
    after = text[match.end() :].lstrip()
    return not before or not after or before[-1] in _LINE_END or after[0] in _LINE_START


def _pieces(text: str) -> list[tuple[int, int]]:
    pieces, start = [], 0
    for match in _BOUNDARY.finditer(text):
        gap = match.group(0)
        if not gap.strip() and "\n" in gap:
            if not _line_break_ends_sentence(text, match):
                continue
            pieces.append((start, match.start()))
        else:
            cut = match.start()
            if _abbreviation_before(text, cut + 1) or _abbreviation_before(text, cut):
                continue
            pieces.append((start, cut + len(gap.rstrip())))
        start = match.end()
    pieces.append((start, len(text)))
    return pieces


def quote_toggles(text: str, open_: bool) -> bool:
    """Return whether a quotation is still open after `text`, given whether it was before."""
    for char in text:
        if char in _OPENING:
            open_ = True
        elif char in _CLOSING:
            open_ = False
        elif char == _EITHER:
            open_ = not open_
    return open_


def split_sentences(text: str) -> list[Sentence]:
    """Split `text` into sentences, keeping each one's offset and its quotation state."""
    sentences: list[Sentence] = []
    in_quote = False
    for begin, end in _pieces(text):
        chunk = text[begin:end]
        stripped = chunk.strip()
        if not stripped:
            continue
        offset = begin + chunk.index(stripped)
        sentences.append(Sentence(stripped, offset, len(sentences), in_quote))
        in_quote = quote_toggles(stripped, in_quote)
        if "\n\n" in text[end : end + 3]:
            in_quote = False  # a quotation never runs across a blank line unclosed
    return sentences


def quoted_spans(sentence: Sentence) -> list[tuple[int, int]]:
    """Return the (start, end) spans of a sentence that are inside quotation marks."""
    spans, opened = [], 0 if sentence.starts_in_quote else None
    for i, char in enumerate(sentence.text):
        if char in _OPENING or (char == _EITHER and opened is None):
            opened = i
        elif (char in _CLOSING or char == _EITHER) and opened is not None:
            spans.append((opened, i + 1))
            opened = None
    if opened is not None:
        spans.append((opened, len(sentence.text)))
    return spans
