"""The whole corpus served as feed items in publication order through the real pipeline: the
position alerts an editor would get, scored against the documents' annotations."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from tests.integration.corpus_feeds import by_day, corpus_docs, feeds_of, noon, rss_of
from tests.integration.helpers import events, run_once, statements
from tracker.services.evaluation import load_annotations

ANNOTATIONS = Path(__file__).resolve().parents[1] / "corpus" / "annotations"
# Of the position alerts that reach readers at once (claims below the topic's
# review.min_confidence wait for an editor instead), the share their documents' annotations
# hold. Measured 0.76 on 128 documents (58 alerts, 44 right); with the 41 of the sealed 2026
# batch added, which nobody tuned on, 0.74 (73 alerts, 54 right), then 0.76 (76 alerts, 58
# right) once announcements of talks stopped counting as stances. The aim is 0.8; the floor
# only rises while the corpus stays the same.
PRECISION_FLOOR = 0.74


@pytest.fixture
def replay(config_dir, feeds, make_tracker):
    """Publish each day's documents on their feeds and poll once, on that day's clock."""
    docs = corpus_docs()
    speakers = feeds_of(docs)
    config_dir.sources(
        [
            config_dir.feed(feed, feeds.url(f"/{feed}.xml"), **({"speaker": s} if s else {}))
            for feed, s in speakers.items()
        ]
    )
    for feed in speakers:
        feeds.set(f"/{feed}.xml", rss_of([]))
    tracker = make_tracker(backlog_max_age=0)
    published, log = [], []
    for day, todays in by_day(docs):
        published += todays
        for feed in {d.feed for d in todays}:
            feeds.set(f"/{feed}.xml", rss_of([d for d in published if d.feed == feed]))
        before = len(events(tracker))
        run_once(tracker, clock=lambda day=day: noon(day))
        log += events(tracker)[before:]
    keys = {s.id: (s.key, s.cluster_id) for s in statements(tracker)}
    return tracker, log, keys


def _alerts(log, keys, *, held: bool = True):
    """(document, story, actor, issue, stance, type) of every position event (without those
    held for an editor's review, unless `held`)."""
    out = []
    for event in log:
        if not held and event.status == "needs_review":
            continue
        if event.type in {"position.new", "position.changed"}:
            key, story = keys[event.statement_id]
            data = event.data
            out.append(
                (key, story, data["actor"]["id"], data["issue"]["id"], data["stance"], event.type)
            )
    return out


def test_position_alerts_are_right_and_stances_do_not_flap(replay):
    """Most position alerts state what their document says, and no actor's stance on an
    issue changes twice within one story."""
    _tracker, log, keys = replay
    gold = load_annotations(ANNOTATIONS)
    every = _alerts(log, keys)
    alerts = _alerts(log, keys, held=False)  # what reaches Slack and e-mail at once

    def right(events):
        return [a for a in events if a[0] in gold and (a[2], a[3], a[4]) in gold[a[0]].positions]

    precision = len(right(alerts)) / len(alerts)
    print(
        f"position events: {len(every)}, right {len(right(every))}; alerted at once: "
        f"{len(alerts)}, right {len(right(alerts))}, precision {precision:.2f}"
    )
    changes = defaultdict(list)
    for doc, story, actor, issue, stance, kind in every:
        if kind == "position.changed":
            changes[(actor, issue, story)].append((doc, stance))
    flaps = {k: v for k, v in changes.items() if len(v) > 1}
    assert precision >= PRECISION_FLOOR, sorted(set(alerts) - set(right(alerts)))
    assert not flaps


def test_every_claim_event_quotes_its_evidence_and_sources(replay):
    """Each position and fact event carries the sentence it was read from and its statement."""
    _tracker, log, _keys = replay
    claim_events = [e for e in log if e.type.startswith(("position.", "fact."))]
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
