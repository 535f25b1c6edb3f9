"""Word diffs: a compact, readable account of what an edit changed."""

from __future__ import annotations

import difflib
import re

_TOKEN = re.compile(r"\S+")


def word_diff(old: str, new: str, *, context: int = 6, max_chars: int = 1200) -> str:
    """Return `[-removed-]{+added+}` hunks with `context` words around each, `...` between.

    The result is capped at `max_chars` so one rewrite cannot flood an alert.
    """
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
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
    text = " ... ".join(hunks)
    return text if len(text) <= max_chars else text[: max_chars - 3] + "..."
