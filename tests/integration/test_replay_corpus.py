"""The corpus served as feed items in date order through the real pipeline: position and fact events."""

from __future__ import annotations

import pytest

from tests.integration.corpus_feeds import FEEDS, by_day, corpus_docs, noon, rss_of
from tests.integration.helpers import events, run_once


@pytest.fixture
def replay(config_dir, feeds, make_tracker):
    """Publish each day's documents on their feeds and poll once, on that day's clock."""
    config_dir.sources(
        [
            config_dir.feed(
                feed, feeds.url(f"/{feed}.xml"), **({"speaker": speaker} if speaker else {})
            )
            for feed, (speaker, _) in FEEDS.items()
        ]
    )
    tracker = make_tracker(backlog_max_age=0)
    docs, published, log = corpus_docs(), [], []
    for day, todays in by_day(docs):
        published += todays
        for feed in FEEDS:
            feeds.set(f"/{feed}.xml", rss_of([d for d in published if d.feed == feed]))
        before = len(events(tracker))
        run_once(tracker, clock=lambda day=day: noon(day))
        log += [(day.isoformat(), e) for e in events(tracker)[before:]]
    return tracker, log


def _claims(log, prefix):
    out = []
    for day, event in log:
        if event.type.startswith(prefix):
            data = event.data
            what = (
                f"{data['actor']['id']}/{data['issue']['id']}={data['stance']}"
                if "actor" in data
                else f"{data['key']}={data['value']}"
            )
            out.append((day, event.source_id, event.type, what))
    return out


def test_repeated_positions_raise_nothing_and_new_ones_are_announced(replay):
    """Statements repeating known positions raise no event; each new (actor, issue) raises one."""
    _tracker, log = replay
    positions = _claims(log, "position.")
    subjects = [p[3].split("=")[0] for p in positions if p[2] == "position.new"]
    assert len(subjects) == len(set(subjects))  # each position announced once
    # The Moscow Times and Trump's post of 12 February repeat the Kremlin readout: nothing new.
    assert [p for p in positions if p[0] == "2025-02-12"] == [
        ("2025-02-12", "kremlin", "position.new", "trump/ceasefire=supports"),
        ("2025-02-12", "kremlin", "position.new", "putin/peace_talks=supports"),
        ("2025-02-12", "kremlin", "position.new", "trump/peace_talks=supports"),
    ]
    assert ("2025-03-13", "putin", "position.new", "putin/ceasefire=conditional") in positions
    assert ("2025-03-18", "kremlin", "position.new", "russia/ceasefire=conditional") in positions
    assert (
        "2025-03-18",
        "kremlin",
        "position.new",
        "putin/energy_strikes_halt=supports",
    ) in positions


def test_the_scope_change_of_the_ceasefire_is_one_event(replay):
    """ceasefire.scope goes full -> energy infrastructure once, when the Kremlin readout says so."""
    _tracker, log = replay
    scope = [f for f in _claims(log, "fact.") if f[3].startswith("ceasefire.scope")]
    assert scope == [
        ("2025-03-11", "zelenskiy", "fact.new", "ceasefire.scope=full"),
        ("2025-03-18", "kremlin", "fact.changed", "ceasefire.scope=energy_infrastructure"),
    ]
    (changed,) = [e for _, e in log if e.type == "fact.changed"]
    assert changed.data["previous"]["value"] == "full"
    assert changed.severity == "urgent"
    assert "energy infrastructure" in changed.data["evidence"]["sentence"]


def test_every_claim_event_quotes_its_evidence_and_sources(replay):
    """Each position and fact event carries the sentence it was read from and its statement."""
    _tracker, log = replay
    claim_events = [e for _, e in log if e.type.startswith(("position.", "fact."))]
    assert len(claim_events) >= 30
    for event in claim_events:
        evidence = event.data["evidence"]
        assert evidence["sentence"]
        assert evidence["statement_id"] == event.statement_id
        assert event.data["source"]["id"] == event.source_id
        assert event.subject.startswith(
            ("positions/ukraine-ceasefire/", "facts/ukraine-ceasefire/")
        )
    flash = {e.severity for e in claim_events if e.type.startswith("position.")}
    assert flash == {"flash"}
