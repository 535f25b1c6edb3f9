"""The number grammar under the fact rules (tables/measures.yaml): numbers in digits and words,
ranges, durations with units, shares, dates and weekdays."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tracker.domain.extraction.measures import find_dates, find_durations, find_shares
from tracker.domain.extraction.numbers import find_quantities

TABLE = yaml.safe_load((Path(__file__).parent / "tables" / "measures.yaml").read_text())


@pytest.mark.parametrize("row", TABLE["numbers"], ids=[r["text"] for r in TABLE["numbers"]])
def test_numbers(row):
    got = [[q.value] if q.high is None else [q.value, q.high] for q in find_quantities(row["text"])]
    assert got == row["want"]


@pytest.mark.parametrize("row", TABLE["durations"], ids=[r["text"] for r in TABLE["durations"]])
def test_durations(row):
    assert [d.minutes for d in find_durations(row["text"])] == row["want"]


@pytest.mark.parametrize("row", TABLE["shares"], ids=[r["text"] for r in TABLE["shares"]])
def test_shares(row):
    assert [s.value for s in find_shares(row["text"])] == row["want"]


@pytest.mark.parametrize("row", TABLE["dates"], ids=[r["text"] for r in TABLE["dates"]])
def test_dates(row):
    assert [d.value for d in find_dates(row["text"], row["published"])] == row["want"]
