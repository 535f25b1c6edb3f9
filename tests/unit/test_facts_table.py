"""Fact extraction from sentences written for the rules (tables/facts.yaml): each
construction the rules support, and the look-alikes they must leave alone."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from tracker.config.loader import load_config
from tracker.domain.evaluation import fact_key
from tracker.domain.extraction.document import Document
from tracker.domain.extraction.extractor import RuleExtractor

ROOT = Path(__file__).resolve().parents[2]
TABLE = yaml.safe_load((Path(__file__).parent / "tables" / "facts.yaml").read_text())


@pytest.fixture(scope="module")
def extractor() -> RuleExtractor:
    return RuleExtractor(load_config(ROOT / "config").vocabularies["ukraine-ceasefire"])


def _published(row: dict[str, object]) -> date | None:
    value = row.get("published")
    return value if isinstance(value, date) else None


@pytest.mark.parametrize("row", TABLE, ids=[r["text"][:60] for r in TABLE])
def test_facts_table(extractor, row):
    """Each sentence yields exactly the facts an editor would record, no more."""
    document = Document(
        id="t", text=row["text"], speaker=row.get("speaker", ""), published=_published(row)
    )
    got = sorted(fact_key(f.key, f.value) for f in extractor.extract(document).facts)
    assert got == sorted(fact_key(k, v) for k, v in row["facts"])
