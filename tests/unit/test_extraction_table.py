"""Claim extraction from sentences the rules were not written for (tables/extraction.yaml)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tracker.config.loader import load_config
from tracker.domain.evaluation import fact_key
from tracker.domain.extraction.document import Document
from tracker.domain.extraction.extractor import RuleExtractor

ROOT = Path(__file__).resolve().parents[2]
TABLE = yaml.safe_load((Path(__file__).parent / "tables" / "extraction.yaml").read_text())


@pytest.fixture(scope="module")
def extractor() -> RuleExtractor:
    return RuleExtractor(load_config(ROOT / "config").vocabularies["ukraine-ceasefire"])


@pytest.mark.parametrize("row", TABLE, ids=[r["text"][:60] for r in TABLE])
def test_extraction_table(extractor, row):
    """Each sentence yields exactly the positions and facts an editor would record."""
    document = Document(id="t", text=row["text"], speaker=row.get("speaker", ""))
    extraction = extractor.extract(document)
    assert sorted(p.key for p in extraction.positions) == sorted(tuple(p) for p in row["positions"])
    assert sorted(fact_key(f.key, f.value) for f in extraction.facts) == sorted(
        fact_key(k, v) for k, v in row.get("facts", [])
    )
