"""Relevance of texts to the shipped topic, from tables/relevance.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tracker.config.loader import load_config
from tracker.domain.topics import Topic, relevant_topics

ROOT = Path(__file__).resolve().parents[2]
TABLE = yaml.safe_load((Path(__file__).parent / "tables" / "relevance.yaml").read_text())


@pytest.fixture(scope="module")
def topic() -> Topic:
    (shipped,) = [t for t in load_config(ROOT / "config").topics if t.id == "ukraine-ceasefire"]
    return shipped


@pytest.mark.parametrize("row", TABLE, ids=[r["text"][:40] for r in TABLE])
def test_relevance_table(topic, row):
    """The shipped topic finds exactly the texts about it relevant."""
    assert bool(topic.relevance(row["text"])) is row["relevant"]


def test_matched_terms_are_distinct_and_ordered():
    """Matched terms come back once each, in the order the topic lists them."""
    topic = Topic("t", "T", ("Ukrain*", "Putin"), supporting=("peace talks",))
    assert topic.matched_terms("Putin, Putin and peace   talks on Ukrainian soil") == [
        "Ukrain*",
        "Putin",
        "peace talks",
    ]


def test_supporting_terms_count_in_pairs_and_exclude_wins():
    """A supporting term alone is not enough, two are, one beside a term is; an exclusion vetoes."""
    topic = Topic("t", "T", ("Putin",), supporting=("ceasefire", "Moscow"), exclude=("golf",))
    assert relevant_topics([topic], "a ceasefire in Gaza") == {}
    assert relevant_topics([topic], "a ceasefire, says Moscow") == {"t": ["ceasefire", "Moscow"]}
    assert relevant_topics([topic], "Putin on a ceasefire") == {"t": ["Putin", "ceasefire"]}
    assert relevant_topics([topic], "Putin played golf") == {}
