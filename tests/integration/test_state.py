"""Topic state across statements and sources: provenance, late arrivals, disputes."""

from __future__ import annotations

import email.utils
import time

from tests.integration.helpers import events, run_once
from tests.servers import item, rss
from tracker.services.state_view import topic_state

FIVE_DAYS_AGO = email.utils.formatdate(time.time() - 5 * 86400, usegmt=True)


def _state(tracker):
    with tracker.db.reader() as uow:
        return topic_state(uow, "ukraine-ceasefire")


def _setup(config_dir, feeds, make_tracker, *names):
    config_dir.sources([config_dir.feed(n, feeds.url(f"/{n}.xml")) for n in names])
    for n in names:
        feeds.set(f"/{n}.xml", rss())
    return make_tracker(backlog_max_age=0)


def test_agreeing_statements_add_sources_not_events(config_dir, feeds, make_tracker):
    """A second source stating a known position adds provenance and raises nothing."""
    tracker = _setup(config_dir, feeds, make_tracker, "a", "b")
    feeds.set(
        "/a.xml",
        rss(
            item(
                "a1",
                "Putin on the truce",
                "Russian President Vladimir Putin rejected a full ceasefire.",
            )
        ),
    )
    run_once(tracker)
    feeds.set(
        "/b.xml",
        rss(
            item(
                "b1",
                "Kremlin: no truce",
                "Putin rejected a full ceasefire on Tuesday, the Kremlin said.",
            )
        ),
    )
    run_once(tracker)
    assert [e.type for e in events(tracker, "position.new", "position.changed")] == ["position.new"]
    (position,) = [p for p in _state(tracker)["positions"] if p["actor"] == "putin"]
    assert (position["issue"], position["stance"], position["sources"]) == (
        "ceasefire",
        "opposes",
        ["a", "b"],
    )
    assert position["confirmations"] == 1
    assert [h["outcome"] for h in position["history"]] == ["new", "confirmed"]


def test_a_late_arriving_old_statement_does_not_overturn_a_newer_position(
    config_dir, feeds, make_tracker
):
    """An older statement that differs goes into the history; the newer stance stands, silently."""
    tracker = _setup(config_dir, feeds, make_tracker, "a", "b")
    feeds.set("/a.xml", rss(item("a1", "Putin on the truce", "Putin rejected a full ceasefire.")))
    run_once(tracker)
    feeds.set(
        "/b.xml",
        rss(item("b1", "Putin last week", "Putin agreed to a full ceasefire.", pub=FIVE_DAYS_AGO)),
    )
    run_once(tracker)
    assert [e.type for e in events(tracker, "position.new", "position.changed")] == ["position.new"]
    (position,) = [p for p in _state(tracker)["positions"] if p["actor"] == "putin"]
    assert position["stance"] == "opposes"
    assert [(h["value"], h["outcome"]) for h in position["history"]] == [
        ("supports", "stale"),
        ("opposes", "new"),
    ]


def test_a_changed_stance_is_one_event_with_the_old_and_new(config_dir, feeds, make_tracker):
    """A newer statement with another stance raises position.changed, old -> new."""
    tracker = _setup(config_dir, feeds, make_tracker, "a")
    feeds.set(
        "/a.xml", rss(item("a1", "Putin", "Putin rejected a full ceasefire.", pub=FIVE_DAYS_AGO))
    )
    run_once(tracker)
    feeds.set(
        "/a.xml",
        rss(
            item("a2", "Putin today", "Putin agreed to a full ceasefire."),
            item("a1", "Putin", "Putin rejected a full ceasefire.", pub=FIVE_DAYS_AGO),
        ),
    )
    run_once(tracker)
    (changed,) = events(tracker, "position.changed")
    assert (changed.data["previous"]["stance"], changed.data["stance"]) == ("opposes", "supports")
    assert changed.subject == "positions/ukraine-ceasefire/putin/ceasefire"


def test_two_sources_disagreeing_at_once_dispute_a_fact(config_dir, feeds, make_tracker):
    """Different values from two sources within the window raise fact.disputed; the value stands."""
    tracker = _setup(config_dir, feeds, make_tracker, "a", "b")
    feeds.set("/a.xml", rss(item("a1", "Truce", "Putin agreed to a 30-day ceasefire.")))
    run_once(tracker)
    feeds.set("/b.xml", rss(item("b1", "Truce", "Putin agreed to a 60-day ceasefire.")))
    run_once(tracker)
    (disputed,) = events(tracker, "fact.disputed")
    assert [v["value"] for v in disputed.data["disputed_values"]] == [30, 60]
    assert [v["source"] for v in disputed.data["disputed_values"]] == ["a", "b"]
    (fact,) = [f for f in _state(tracker)["facts"] if f["key"] == "ceasefire.duration_days"]
    assert (fact["value"], fact["disputed"]) == (30, True)
