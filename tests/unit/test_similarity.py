"""Near-duplicate detection: copies of one story are close, different stories are not."""

from __future__ import annotations

from tracker.domain.similarity import (
    MAX_DISTANCE,
    bands,
    distance,
    simhash,
    to_signed,
    to_unsigned,
)

STORY = (
    "Russian President Vladimir Putin agreed on Tuesday to stop attacks on Ukrainian energy "
    "infrastructure for 30 days after a long phone call with U.S. President Donald Trump, but "
    "declined to endorse a full ceasefire that Washington had hoped would be a first step "
    "toward a permanent peace deal."
)
OTHER = (
    "Ukrainian President Volodymyr Zelenskiy said on Wednesday that Kyiv would support a halt "
    "to strikes on energy infrastructure, and asked for details of what Russia had agreed in "
    "the call with Trump, saying Ukraine needed to see the list of targets first."
)


def test_a_syndicated_copy_with_dateline_and_byline_is_a_near_duplicate():
    copy = f"MOSCOW (Reuters) - {STORY} Reporting by Guy Faulconbridge; editing by Mark Trevelyan."
    assert distance(simhash(STORY), simhash(copy)) <= MAX_DISTANCE


def test_a_lightly_edited_copy_is_a_near_duplicate():
    edited = STORY.replace("a long phone call", "a lengthy phone call")
    assert distance(simhash(STORY), simhash(edited)) <= MAX_DISTANCE


def test_another_story_on_the_same_topic_is_not():
    assert distance(simhash(STORY), simhash(OTHER)) > 2 * MAX_DISTANCE


def test_a_headline_alone_is_too_short_to_compare():
    assert simhash("Putin agrees to energy halt") is None


def test_near_duplicates_share_a_band_and_values_survive_a_signed_column():
    copy = f"MOSCOW (Reuters) - {STORY}"
    a, b = simhash(STORY), simhash(copy)
    assert set(enumerate(bands(a))) & set(enumerate(bands(b)))
    for value in (a, b, 2**64 - 1, 0, 2**63):
        assert to_unsigned(to_signed(value)) == value
        assert -(2**63) <= to_signed(value) < 2**63
