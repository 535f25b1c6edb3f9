"""Normalisation and fingerprints, from the table in tables/normalise.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tracker.domain.normalise import body_text, canonical_url, clean_text, fingerprint
from tracker.domain.sources import redact_url

TABLE = yaml.safe_load((Path(__file__).parent / "tables" / "normalise.yaml").read_text())


@pytest.mark.parametrize("row", TABLE, ids=[r["why"] for r in TABLE])
def test_fingerprint_table(row):
    """Typography does not change a fingerprint; content does."""
    same = fingerprint("t", row["a"]) == fingerprint("t", row["b"])
    assert same is row["same"]


def test_clean_text_keeps_paragraphs_and_readable_punctuation():
    """Clean text keeps paragraph breaks and turns curly quotes and dashes into plain ones."""
    assert (
        clean_text("  \u201cNo\u201d \u2014 he said.\r\n\r\nNext  para ")
        == '"No" - he said.\n\nNext para'
    )


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        (
            "Readout of Peace Talks in Geneva",
            "White House Briefing/Statement: Readout of Peace Talks in Geneva",
            "",
        ),
        ("Putin call", "Putin call", ""),
        (
            "Putin call",
            "The leaders spoke for 90 minutes about a ceasefire in Ukraine.",
            "The leaders spoke for 90 minutes about a ceasefire in Ukraine.",
        ),
    ],
)
def test_body_that_only_repeats_the_title_is_empty(title, text, expected):
    """A description that is just a label plus the title counts as no text."""
    assert body_text(title, text) == expected


def test_canonical_url_drops_tracking_and_fragment():
    """utm_*, fbclid and fragments go; real parameters and their order stay."""
    url = "HTTPS://Example.org:443/a?id=7&utm_source=x&fbclid=y&page=2#top"
    assert canonical_url(url) == "https://example.org/a?id=7&page=2"


def test_redact_url_hides_credentials():
    """User info and secret-looking query values are replaced before a URL is shown."""
    assert (
        redact_url("https://u:p@api.example.org/q?apikey=abc&q=putin")
        == "https://***@api.example.org/q?apikey=***&q=putin"
    )
