"""Claims an editor must see first (low confidence, a report against an actor's own words),
and a stance history that does not flap: own words outrank reports, a story counts once, a
late older statement is history. Through the real pipeline, on SQLite and PostgreSQL."""

from __future__ import annotations

import email.utils
import time

import pytest

from tests.integration.helpers import (
    PUTIN,
    deliveries,
    events,
    json_channel,
    run_once,
    set_review,
)
from tests.servers import item, rss
from tracker.bootstrap import utcnow
from tracker.domain.access import Role
from tracker.services import delivering, review
from tracker.services.accounts import Principal
from tracker.services.state_view import topic_state

EDITOR = Principal("user:alice", Role.EDITOR)
TOPIC = "ukraine-ceasefire"
TEN_DAYS_AGO = email.utils.formatdate(time.time() - 10 * 86400, usegmt=True)
FIVE_DAYS_AGO = email.utils.formatdate(time.time() - 5 * 86400, usegmt=True)
OPPOSES = "Putin rejected a full ceasefire."
SUPPORTS_REPORT = "Putin agreed to a full ceasefire, a newspaper reported."
STORY = (
    "Russian President Vladimir Putin agreed on Tuesday to a full ceasefire after a long phone "
    "call with U.S. President Donald Trump, a step Washington had hoped would lead toward a "
    "permanent peace deal, officials familiar with the talks told reporters on condition of "
    "anonymity."
)
AGAINST = (
    "Russian President Vladimir Putin rejected a full ceasefire on Thursday, telling officials "
    "in Moscow that a truce would only let Ukraine rearm."
)


def _feeds(config_dir, feeds, *names: str, speakers: dict[str, str] | None = None) -> None:
    speakers = speakers or {}
    config_dir.sources(
        [
            config_dir.feed(
                n, feeds.url(f"/{n}.xml"), **({"speaker": speakers[n]} if n in speakers else {})
            )
            for n in names
        ]
    )
    for n in names:
        feeds.set(f"/{n}.xml", rss())


def _positions_alert(config_dir, receiver) -> None:
    config_dir.alerts(
        channels=[json_channel(receiver.address)],
        routes=[{"match": {"types": ["position.*"]}, "channels": ["desk"]}],
    )


def _putin(tracker, issue: str = "ceasefire") -> dict | None:
    with tracker.db.reader() as uow:
        state = topic_state(uow, TOPIC)
    found = [p for p in state["positions"] if (p["actor"], p["issue"]) == ("putin", issue)]
    return found[0] if found else None


def _decide(tracker, verdict: str, event_id: str) -> review.Decided:
    with tracker.db.unit_of_work() as uow:
        done = getattr(review, verdict)(uow, event_id, EDITOR, utcnow())
        uow.commit()
    return done


def _deliver(tracker) -> None:
    delivering.deliver_due_inline(tracker.db, tracker.runtime(), tracker.senders, clock=utcnow)


def _held_position(config_dir, feeds, receiver, make_tracker):
    """A feed whose Putin statement reads below the topic's threshold (1.0: every claim)."""
    set_review(config_dir, min_confidence=1.0)
    _feeds(config_dir, feeds, "wire")
    _positions_alert(config_dir, receiver)
    tracker = make_tracker(backlog_max_age=0)
    run_once(tracker)
    feeds.set("/wire.xml", rss(item("g1", "Putin agrees to energy halt", PUTIN)))
    run_once(tracker)
    (event,) = events(tracker, "position.new")
    return tracker, event


def test_a_low_confidence_claim_is_held_until_confirmed_then_alerts_once(
    config_dir, feeds, receiver, make_tracker
):
    """A claim below min_confidence: its event waits as needs_review, its delivery is held,
    the state does not move; confirm makes it the stance and exactly one alert goes out."""
    tracker, event = _held_position(config_dir, feeds, receiver, make_tracker)
    assert event.status == "needs_review"
    assert event.data["review"]["reasons"] == ["low_confidence"]
    assert [d.status for d in deliveries(tracker) if d.event_id == event.id] == ["held"]
    _deliver(tracker)
    assert receiver.received == []
    assert _putin(tracker, "energy_strikes_halt") is None

    done = _decide(tracker, "confirm", event.id)
    assert (done.applied, done.released, done.cancelled) == (True, 1, 0)
    _deliver(tracker)
    (message,) = receiver.wait_for(1)
    assert "Putin" in message["title"] + message["message"]
    run_once(tracker)
    _deliver(tracker)
    assert len(receiver.received) == 1
    position = _putin(tracker, "energy_strikes_halt")
    assert position is not None
    assert position["stance"] == "supports"
    assert [h["outcome"] for h in position["history"]] == ["new"]
    (confirmed,) = events(tracker, "position.new")
    assert (confirmed.status, confirmed.assignee) == ("resolved", "alice")
    with tracker.db.reader() as uow:
        (audit,) = uow.desk.audit_log(target=f"events/{event.id}")
    assert (audit.actor, audit.action, audit.detail["applied"]) == ("user:alice", "confirm", True)


def test_a_rejected_claim_sends_nothing_and_leaves_the_state(
    config_dir, feeds, receiver, make_tracker
):
    """Reject: the claim is marked rejected, the held delivery is cancelled and kept with its
    reason, nothing is sent, the state is as before; a second verdict is a stale action."""
    tracker, event = _held_position(config_dir, feeds, receiver, make_tracker)
    done = _decide(tracker, "reject", event.id)
    assert (done.applied, done.released, done.cancelled) == (False, 0, 1)
    _deliver(tracker)
    assert receiver.received == []
    (delivery,) = [d for d in deliveries(tracker) if d.event_id == event.id]
    assert (delivery.status, delivery.last_error) == ("cancelled", "rejected by alice")
    assert _putin(tracker, "energy_strikes_halt") is None
    (rejected,) = events(tracker, "position.new")
    assert rejected.status == "rejected"
    with pytest.raises(review.ReviewConflict, match="cannot be confirmed"):
        _decide(tracker, "confirm", event.id)
    with pytest.raises(review.ReviewConflict, match="already rejected"):
        _decide(tracker, "reject", event.id)


def test_bad_review_actions_are_clear_errors(config_dir, feeds, receiver, make_tracker):
    """An unknown event is NotFound; a double confirm and an event that never needed review
    are conflicts that change nothing."""
    tracker, event = _held_position(config_dir, feeds, receiver, make_tracker)
    with pytest.raises(review.NotFound, match="no event 'nope'"):
        _decide(tracker, "confirm", "nope")
    _decide(tracker, "confirm", event.id)
    with pytest.raises(review.ReviewConflict, match="already confirmed"):
        _decide(tracker, "confirm", event.id)
    with pytest.raises(review.ReviewConflict, match="cannot be rejected"):
        _decide(tracker, "reject", event.id)
    (statement,) = events(tracker, "statement.new")
    with pytest.raises(review.ReviewConflict, match="does not need review"):
        _decide(tracker, "confirm", statement.id)
    _deliver(tracker)
    assert len(receiver.wait_for(1)) == 1


def test_a_report_contradicting_own_words_does_not_flip_the_stance(config_dir, feeds, make_tracker):
    """Putin's own words (a source that speaks for him) say he opposes; a report about him a
    moment later says he supports: the stance stands, the report is noted, no event."""
    _feeds(config_dir, feeds, "kremlin", "paper", speakers={"kremlin": "Vladimir Putin"})
    tracker = make_tracker(backlog_max_age=0)
    run_once(tracker)
    feeds.set("/kremlin.xml", rss(item("k1", "On the truce", OPPOSES)))
    run_once(tracker)
    feeds.set("/paper.xml", rss(item("p1", "Putin said to accept", SUPPORTS_REPORT)))
    run_once(tracker)
    assert [e.type for e in events(tracker, "position.new", "position.changed")] == ["position.new"]
    position = _putin(tracker)
    assert position is not None
    assert position["stance"] == "opposes"
    assert [(h["source"], h["voice"], h["outcome"]) for h in position["history"]] == [
        ("kremlin", "own words", "new"),
        ("paper", "report", "noted"),
    ]


def test_a_report_after_the_window_against_own_words_waits_for_review(
    config_dir, feeds, receiver, make_tracker
):
    """Own words ten days old (the window is seven): a report of the opposite is not noted
    but held for review, its alert with it; confirmed, the stance changes and it alerts."""
    _feeds(config_dir, feeds, "kremlin", "paper", speakers={"kremlin": "Vladimir Putin"})
    _positions_alert(config_dir, receiver)
    tracker = make_tracker(backlog_max_age=0)
    run_once(tracker)
    feeds.set("/kremlin.xml", rss(item("k1", "On the truce", OPPOSES, pub=TEN_DAYS_AGO)))
    run_once(tracker)
    feeds.set("/paper.xml", rss(item("p1", "Putin said to accept", SUPPORTS_REPORT)))
    run_once(tracker)
    (changed,) = events(tracker, "position.changed")
    assert changed.status == "needs_review"
    assert changed.data["review"]["reasons"] == ["contradicts_own_words"]
    assert _putin(tracker)["stance"] == "opposes"
    assert len(receiver.wait_for(1)) == 1  # the position.new only
    _decide(tracker, "confirm", changed.id)
    _deliver(tracker)
    assert len(receiver.wait_for(2)) == 2
    assert _putin(tracker)["stance"] == "supports"


def test_own_words_change_a_stance_a_report_set(config_dir, feeds, make_tracker):
    """A report set the stance; the actor's own later words change it, without review."""
    _feeds(config_dir, feeds, "kremlin", "paper", speakers={"kremlin": "Vladimir Putin"})
    tracker = make_tracker(backlog_max_age=0)
    run_once(tracker)
    feeds.set("/paper.xml", rss(item("p1", "Putin said to accept", SUPPORTS_REPORT)))
    run_once(tracker)
    feeds.set("/kremlin.xml", rss(item("k1", "On the truce", OPPOSES)))
    run_once(tracker)
    (changed,) = events(tracker, "position.changed")
    assert changed.status == "open"
    assert _putin(tracker)["stance"] == "opposes"


def test_a_late_older_statement_does_not_overturn_a_newer_stance(config_dir, feeds, make_tracker):
    """An actor's own words from five days ago, arriving after a newer report, are history."""
    _feeds(config_dir, feeds, "kremlin", "paper", speakers={"kremlin": "Vladimir Putin"})
    tracker = make_tracker(backlog_max_age=0)
    run_once(tracker)
    feeds.set("/paper.xml", rss(item("p1", "Putin said to accept", SUPPORTS_REPORT)))
    run_once(tracker)
    feeds.set("/kremlin.xml", rss(item("k1", "On the truce", OPPOSES, pub=FIVE_DAYS_AGO)))
    run_once(tracker)
    assert events(tracker, "position.changed") == []
    position = _putin(tracker)
    assert position["stance"] == "supports"
    assert [(h["source"], h["outcome"]) for h in position["history"]] == [
        ("kremlin", "stale"),
        ("paper", "new"),
    ]


def test_a_syndicated_copy_counts_once_and_cannot_flip_the_stance_back(
    config_dir, feeds, make_tracker
):
    """An agency story sets a stance; another story changes it; a copy of the first story
    carried later by another outlet is the same story: noted, not a second voice, no flap."""
    _feeds(config_dir, feeds, "agency", "other", "portal", "mirror")
    tracker = make_tracker(backlog_max_age=0)
    run_once(tracker)
    feeds.set("/agency.xml", rss(item("a1", "Putin agrees to ceasefire", STORY)))
    run_once(tracker)
    feeds.set("/portal.xml", rss(item("c1", "Putin agrees", f"MOSCOW (Reuters) - {STORY}")))
    run_once(tracker)
    assert _putin(tracker)["confirmations"] == 0  # the copy is not a second voice
    feeds.set("/other.xml", rss(item("o1", "Putin rejects ceasefire", AGAINST)))
    run_once(tracker)
    assert _putin(tracker)["stance"] == "opposes"
    feeds.set("/mirror.xml", rss(item("m1", "Putin agrees to ceasefire", STORY)))
    run_once(tracker)
    assert [e.type for e in events(tracker, "position.new", "position.changed")] == [
        "position.new",
        "position.changed",
    ]
    position = _putin(tracker)
    assert position["stance"] == "opposes"
    outcomes = [(h["source"], h["outcome"]) for h in position["history"]]
    assert outcomes == [
        ("agency", "new"),
        ("portal", "confirmed"),
        ("other", "changed"),
        ("mirror", "noted"),
    ]
    stories = {h["story"] for h in position["history"] if h["source"] != "other"}
    assert len(stories) == 1


def test_a_confirm_after_the_state_moved_on_records_the_claim_but_sends_nothing(
    config_dir, feeds, receiver, make_tracker
):
    """A claim held for review, then a newer statement settles the stance: confirming the old
    one records it (stale) and cancels its alert as superseded, so nobody is told old news."""
    topic = config_dir.path / "topics" / f"{TOPIC}.yaml"
    shipped = topic.read_text()
    set_review(config_dir, min_confidence=1.0)
    _feeds(config_dir, feeds, "paper", "wire")
    _positions_alert(config_dir, receiver)
    tracker = make_tracker(backlog_max_age=0)
    run_once(tracker)
    feeds.set("/paper.xml", rss(item("p1", "Putin said to accept", SUPPORTS_REPORT)))
    run_once(tracker)
    (held,) = events(tracker, "position.new")
    topic.write_text(shipped)  # back to the default threshold: the next claim is not held
    feeds.set("/wire.xml", rss(item("w1", "Putin rejects ceasefire", AGAINST)))
    run_once(tracker)
    assert _putin(tracker)["stance"] == "opposes"
    assert len(receiver.wait_for(1)) == 1
    done = _decide(tracker, "confirm", held.id)
    assert (done.applied, done.released, done.cancelled) == (False, 0, 1)
    _deliver(tracker)
    assert len(receiver.received) == 1
    position = _putin(tracker)
    assert position["stance"] == "opposes"
    assert [(h["source"], h["outcome"], h["review"]) for h in position["history"]] == [
        ("paper", "stale", "confirmed"),
        ("wire", "new", None),
    ]
    (delivery,) = [d for d in deliveries(tracker) if d.event_id == held.id]
    assert delivery.status == "cancelled"
    assert "superseded" in delivery.last_error


def test_an_edited_story_is_news_though_its_copies_said_otherwise(config_dir, feeds, make_tracker):
    """The story's own first statement, edited to say the opposite, changes the stance: only
    other outlets' copies are counted once."""
    _feeds(config_dir, feeds, "agency", "portal")
    tracker = make_tracker(backlog_max_age=0)
    run_once(tracker)
    feeds.set("/agency.xml", rss(item("a1", "Putin agrees to ceasefire", STORY)))
    run_once(tracker)
    feeds.set("/portal.xml", rss(item("c1", "Putin agrees to ceasefire", STORY)))
    run_once(tracker)
    feeds.set("/agency.xml", rss(item("a1", "Putin rejects ceasefire", AGAINST)))
    run_once(tracker)
    assert [e.type for e in events(tracker, "position.changed")] == ["position.changed"]
    assert _putin(tracker)["stance"] == "opposes"
