"""Word diffs: a compact, readable account of what an edit changed."""

from __future__ import annotations

import difflib
import re

_TOKEN = re.compile(r"\S+")
# difflib is worse than linear: the changed middle is diffed word by word only up to this
# many words a side; past it, the change is summarised (a rewrite, not an edit).
MAX_DIFF_WORDS = 2000


def _common_prefix(a: list[str], b: list[str]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _hunks(a: list[str], b: list[str], context: int) -> list[str]:
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    hunks: list[str] = []
    for group in matcher.get_grouped_opcodes(context):
        parts: list[str] = []
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                parts.append(" ".join(a[i1:i2]))
                continue
            if i2 > i1:
                parts.append("[-" + " ".join(a[i1:i2]) + "-]")
            if j2 > j1:
                parts.append("{+" + " ".join(b[j1:j2]) + "+}")
        hunks.append(" ".join(parts))
    return hunks


def word_diff(old: str, new: str, *, context: int = 6, max_chars: int = 1200) -> str:
    """Return `[-removed-]{+added+}` hunks with `context` words around each, `...` between.

    The common beginning and end are cut first (linear), so a small edit to a long text
    costs little; the result is capped at `max_chars` so one rewrite cannot flood an alert.
    """
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    head = _common_prefix(a, b)
    tail = _common_prefix(a[head:][::-1], b[head:][::-1])
    lead = max(0, head - context)
    mid_a, mid_b = a[lead : len(a) - tail], b[lead : len(b) - tail]
    trail_a = a[len(a) - tail : len(a) - tail + context]
    if len(mid_a) > MAX_DIFF_WORDS + context or len(mid_b) > MAX_DIFF_WORDS + context:
        text = f"[-{len(mid_a)} words-] {{+{len(mid_b)} words+}} (rewritten)"
    else:
        text = " ... ".join(_hunks(mid_a + trail_a, mid_b + trail_a, context))
    return text if len(text) <= max_chars else text[: max_chars - 3] + "..."


def words_changed(old: str, new: str) -> int:
    """Return how many words an edit removed and added (a rewrite of a long middle counts every
    word of it)."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    head = _common_prefix(a, b)
    tail = _common_prefix(a[head:][::-1], b[head:][::-1])
    mid_a, mid_b = a[head : len(a) - tail], b[head : len(b) - tail]
    if len(mid_a) > MAX_DIFF_WORDS or len(mid_b) > MAX_DIFF_WORDS:
        return len(mid_a) + len(mid_b)
    matcher = difflib.SequenceMatcher(a=mid_a, b=mid_b, autojunk=False)
    same = sum(block.size for block in matcher.get_matching_blocks())
    return len(mid_a) + len(mid_b) - 2 * same
