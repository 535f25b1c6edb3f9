"""Text normalisation and fingerprints: what counts as "the same text" for change detection.

Two layers: `clean_text` keeps a readable text (quotes, dashes, whitespace and repeated
paragraphs tidied), `fingerprint` hashes a canonical form of it that ignores case and
punctuation, so a typographic fix or a re-encoded quote is not a change.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_TRANSLATE = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u2026": "...",
        "\u00a0": " ",
        "\u2007": " ",
        "\u202f": " ",
        "\u00ad": None,
        "\u200b": None,
        "\u200c": None,
        "\u200d": None,
        "\ufeff": None,
    }
)
_SPACES = re.compile(r"[ \t\f\v]+")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n+")
_NON_WORD = re.compile(r"[^\w]+")
# A description that only repeats the title behind a short label ("White House Briefing/
# Statement: <title>") carries no text of its own; feeds fill it in later.
_LABEL = re.compile(r"^\s*[^:|\n]{1,60}?\s*[:|\-]\s+(?P<rest>.+?)\s*$", re.DOTALL)

TRACKING_PARAMETERS = frozenset(
    {"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "yclid", "_ga", "ref_src"}
)


@dataclass(frozen=True)
class NoiseRules:
    """A source's own rules for what is not a change.

    `ignore`: regular expressions whose matches (a timestamp, a view counter, a share line)
    are left out when texts are compared; `strip_params`: query parameters dropped from item
    links besides the usual trackers; `min_change`: an edit that changes fewer words is kept
    as a version but raises no event (0: every edit is news); `flip_flop`: a text that was one
    of the last N versions coming back is not news (None: any earlier version).
    """

    ignore: tuple[str, ...] = ()
    strip_params: frozenset[str] = frozenset()
    min_change: int = 0
    flip_flop: int | None = None

    def compared(self, text: str) -> str:
        """Return `text` without what the ignore patterns match."""
        for pattern in self.ignore:
            text = _compiled(pattern).sub(" ", text)
        return text


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


NO_RULES = NoiseRules()


def clean_text(raw: str) -> str:
    """Return `raw` with unified quotes and dashes, collapsed spaces and no repeated paragraphs."""
    text = unicodedata.normalize("NFKC", raw).translate(_TRANSLATE)
    paragraphs: list[str] = []
    seen: set[str] = set()
    for block in _PARAGRAPH_BREAK.split(text.replace("\r\n", "\n").replace("\r", "\n")):
        lines = (_SPACES.sub(" ", line).strip() for line in block.split("\n"))
        paragraph = " ".join(line for line in lines if line)
        if paragraph and paragraph not in seen:
            seen.add(paragraph)
            paragraphs.append(paragraph)
    return "\n\n".join(paragraphs)


def canonical_words(text: str) -> str:
    """Return the case- and punctuation-free form of `text` that fingerprints compare."""
    return _NON_WORD.sub(" ", clean_text(text).casefold()).strip()


def body_text(title: str, text: str) -> str:
    """Return the statement body, empty when it is only the title, or a label and the title.

    "White House Briefing/Statement: <title>" is a placeholder; "Putin rejected a ceasefire"
    under the title "Putin" is text. A label is short and set off by a colon, dash or bar.
    """
    cleaned = clean_text(text)
    body, head = canonical_words(cleaned), canonical_words(title)
    if not head or head not in body:
        return cleaned
    if body == head:
        return ""
    label = _LABEL.match(cleaned)
    if label and canonical_words(label.group("rest")) == head:
        return ""
    return cleaned


def fingerprint(title: str, text: str, rules: NoiseRules = NO_RULES) -> str:
    """Return the hex SHA-256 of the canonical title and body (without what the source's rules
    ignore): equal iff no real change."""
    canonical = (
        canonical_words(rules.compared(title)) + "\n" + canonical_words(rules.compared(text))
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def canonical_url(url: str, strip: frozenset[str] = frozenset()) -> str:
    """Return `url` without tracking parameters (and those in `strip`), fragment, default port
    or trailing `?`."""
    parts = urlsplit(url.strip())
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key.lower() not in TRACKING_PARAMETERS
        and key.lower() not in strip
        and not key.lower().startswith("utm_")
    ]
    netloc = parts.netloc.lower()
    if (parts.scheme == "http" and netloc.endswith(":80")) or (
        parts.scheme == "https" and netloc.endswith(":443")
    ):
        netloc = netloc.rsplit(":", 1)[0]
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", urlencode(query), ""))


def key_digest(key: str) -> str:
    """Return a fixed-length digest of an item key, for indexing keys of any length."""
    return hashlib.sha1(key.encode("utf-8"), usedforsecurity=False).hexdigest()
