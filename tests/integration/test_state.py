"""Topic state across statements and sources: provenance, late arrivals, disputes."""

from __future__ import annotations

import email.utils
import threading
import time

import pytest
from sqlalchemy import create_engine, text

from tests.integration.helpers import events, run_once, statements
from tests.servers import item, rss
from tracker.services.state_view import topic_state
from tracker.storage.state import topic_lock_key
from tracker.storage.statements import CLUSTERS_LOCK_KEY

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


TEN_DAYS_AGO = email.utils.formatdate(time.time() - 10 * 86400, usegmt=True)


def test_a_confirmation_moves_the_position_to_its_latest_statement(config_dir, feeds, make_tracker):
    """Said ten days ago and again today: a five-day-old contrary statement is history, not news."""
    tracker = _setup(config_dir, feeds, make_tracker, "a", "b", "c")
    feeds.set(
        "/a.xml", rss(item("a1", "Putin", "Putin agreed to a full ceasefire.", pub=TEN_DAYS_AGO))
    )
    run_once(tracker)
    feeds.set("/b.xml", rss(item("b1", "Putin again", "Putin agreed to a full ceasefire.")))
    run_once(tracker)
    feeds.set(
        "/c.xml",
        rss(item("c1", "Putin earlier", "Putin rejected a full ceasefire.", pub=FIVE_DAYS_AGO)),
    )
    run_once(tracker)
    assert [e.type for e in events(tracker, "position.new", "position.changed")] == ["position.new"]
    (position,) = [p for p in _state(tracker)["positions"] if p["actor"] == "putin"]
    assert (position["stance"], position["source"]) == ("supports", "b")
    assert [h["outcome"] for h in position["history"]] == ["new", "stale", "confirmed"]


def test_an_edited_statement_does_not_confirm_itself(config_dir, feeds, make_tracker):
    """A new version of the same statement is not a second voice."""
    tracker = _setup(config_dir, feeds, make_tracker, "a")
    feeds.set("/a.xml", rss(item("a1", "Putin", "Putin rejected a full ceasefire.")))
    run_once(tracker)
    feeds.set("/a.xml", rss(item("a1", "Putin", "Putin rejected a full ceasefire on Tuesday.")))
    run_once(tracker)
    (position,) = [p for p in _state(tracker)["positions"] if p["actor"] == "putin"]
    assert position["confirmations"] == 0


def test_naming_a_second_scope_beside_the_current_one_changes_nothing(
    config_dir, feeds, make_tracker
):
    """Scope is energy; a story naming the rejected full truce beside it is not a scope change."""
    tracker = _setup(config_dir, feeds, make_tracker, "a", "b")
    feeds.set("/a.xml", rss(item("a1", "Energy", "Putin agreed to an energy ceasefire.")))
    run_once(tracker)
    feeds.set(
        "/b.xml",
        rss(
            item(
                "b1",
                "Putin",
                "Putin rejected a full ceasefire but agreed to an energy ceasefire.",
            )
        ),
    )
    run_once(tracker)
    assert events(tracker, "fact.changed", "fact.disputed") == []
    (scope,) = [f for f in _state(tracker)["facts"] if f["key"] == "ceasefire.scope"]
    assert scope["value"] == "energy_infrastructure"


def test_a_dispute_raises_one_event_and_a_third_source_settles_it(config_dir, feeds, make_tracker):
    """30 against 60 is one dispute however many repeat 60; a third source backing 30 settles it."""
    tracker = _setup(config_dir, feeds, make_tracker, "a", "b", "c", "d")
    feeds.set("/a.xml", rss(item("a1", "Truce", "Putin agreed to a 30-day ceasefire.")))
    run_once(tracker)
    feeds.set("/b.xml", rss(item("b1", "Truce", "Putin agreed to a 60-day ceasefire.")))
    feeds.set("/c.xml", rss(item("c1", "Truce", "Putin agreed to a 60-day ceasefire.")))
    run_once(tracker)
    assert len(events(tracker, "fact.disputed")) == 1
    feeds.set("/d.xml", rss(item("d1", "Truce", "Putin agreed to a 30-day ceasefire.")))
    run_once(tracker)
    (fact,) = [f for f in _state(tracker)["facts"] if f["key"] == "ceasefire.duration_days"]
    assert (fact["value"], fact["disputed"]) == (30, False)
    assert len(events(tracker, "fact.disputed")) == 1


def test_what_a_rolled_back_source_stated_is_forgotten_with_it(
    config_dir, feeds, make_tracker, monkeypatch
):
    """Reading the batch's claims fails after source a's; they are rolled back and each source
    is read alone: a fails again, b states the same thing, and it is news from b. Both
    statements stay recorded and announced."""
    from tracker.services import recording

    read = recording.claim_events
    order: list[str] = []

    def fail_after_a(uow, runtime, texts, now, prepared):
        found = read(uow, runtime, texts, now, prepared)
        order.append(texts[0].source.id)
        if texts[0].source.id == "a":
            raise RuntimeError("source a failed after its claims")
        return found

    monkeypatch.setattr(recording, "claim_events", fail_after_a)
    tracker = _setup(config_dir, feeds, make_tracker, "a", "b")
    feeds.set("/a.xml", rss(item("a1", "Putin", "Putin agreed to a full ceasefire.")))
    feeds.set("/b.xml", rss(item("b1", "Putin", "Putin agreed to a full ceasefire.")))
    run_once(tracker)
    assert order == ["a", "a", "b"]  # the batch at once, then each source alone
    assert len(events(tracker, "statement.new")) == 2
    (new,) = events(tracker, "position.new")
    assert new.data["actor"]["id"] == "putin"
    (position,) = [p for p in _state(tracker)["positions"] if p["actor"] == "putin"]
    assert position["source"] == "b"


def test_a_document_the_extractor_chokes_on_keeps_its_statement(
    config_dir, feeds, make_tracker, monkeypatch
):
    """An extractor bug costs that document's claims: the statement, its event and the other
    documents' claims are kept, and the source is not failing."""
    from tracker.domain.extraction.extractor import RuleExtractor

    read = RuleExtractor.extract

    def choke(self, document):
        if "BOOM" in document.text:
            raise ZeroDivisionError("a bug")
        return read(self, document)

    monkeypatch.setattr(RuleExtractor, "extract", choke)
    tracker = _setup(config_dir, feeds, make_tracker, "a")
    feeds.set(
        "/a.xml",
        rss(
            item("a1", "Putin", "Putin agreed to a full ceasefire. BOOM"),
            item("a2", "Zelensky", "Zelenskiy agreed to a full ceasefire."),
        ),
    )
    run_once(tracker)
    assert len(events(tracker, "statement.new")) == 2
    assert [e.data["actor"]["id"] for e in events(tracker, "position.new")] == ["zelenskiy"]
    assert events(tracker, "source.failing") == []


def test_a_source_not_credited_cannot_dispute_a_fact(config_dir, feeds, make_tracker):
    """`credible: false` (an aggregator): its differing value within the window is on record
    as noted, with no event, and the fact is not in dispute."""
    config_dir.sources(
        [
            config_dir.feed("wire", feeds.url("/wire.xml")),
            config_dir.feed("blog", feeds.url("/blog.xml"), credible=False),
        ]
    )
    feeds.set("/wire.xml", rss())
    feeds.set("/blog.xml", rss())
    tracker = make_tracker(backlog_max_age=0)
    run_once(tracker)
    feeds.set("/wire.xml", rss(item("w1", "Truce", "Putin agreed to a 30-day ceasefire.")))
    run_once(tracker)
    feeds.set("/blog.xml", rss(item("b1", "Truce", "Putin agreed to a 60-day ceasefire.")))
    run_once(tracker)
    assert events(tracker, "fact.disputed", "fact.changed") == []
    (fact,) = [f for f in _state(tracker)["facts"] if f["key"] == "ceasefire.duration_days"]
    assert (fact["value"], fact["disputed"]) == (30, False)
    assert [(h["source"], h["outcome"]) for h in fact["history"]] == [
        ("wire", "new"),
        ("blog", "noted"),
    ]


class _Holder:
    """Another worker's transaction holding a PostgreSQL advisory lock."""

    def __init__(self, database_url: str, key: int) -> None:
        self.engine = create_engine(database_url)
        self.connection = self.engine.connect()
        self.connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})

    def close(self) -> None:
        self.connection.rollback()
        self.connection.close()
        self.engine.dispose()


def _quiet_batch_ran(tracker, feeds) -> bool:
    """Poll a new statement about nothing the topic knows; return whether it ended in 10 s."""
    feeds.set("/a.xml", rss(item("a1", "Markets", "Stocks closed higher on Tuesday.")))
    quiet = threading.Thread(target=run_once, args=(tracker,))
    quiet.start()
    quiet.join(10)
    return not quiet.is_alive()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_topic_is_locked_only_while_claims_are_applied(
    config_dir, feeds, make_tracker, database_url
):
    """While another worker holds the topic's state (PostgreSQL), a batch with nothing to
    claim records its statement and commits at once; a batch with a claim records its
    statement, waits for the topic, then applies the claim."""
    tracker = _setup(config_dir, feeds, make_tracker, "a")
    run_once(tracker)
    (topic,) = tracker.runtime().extractors
    holder = _Holder(database_url, topic_lock_key(topic))
    try:
        assert _quiet_batch_ran(tracker, feeds), "a batch without claims waited for the topic"
        assert [s.title for s in statements(tracker)] == ["Markets"]

        feeds.set(
            "/a.xml",
            rss(
                item("a2", "Putin", "Putin agreed to a full ceasefire."),
                item("a1", "Markets", "Stocks closed higher on Tuesday."),
            ),
        )
        claiming = threading.Thread(target=run_once, args=(tracker,))
        claiming.start()
        claiming.join(2)
        assert claiming.is_alive(), "a batch with a claim did not wait for the topic"
        assert events(tracker, "position.new") == []
    finally:
        holder.close()  # the other worker ends its transaction: the lock is free
    claiming.join(10)
    assert not claiming.is_alive()
    (new,) = events(tracker, "position.new")
    assert new.data["actor"]["id"] == "putin"


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_story_clusters_are_looked_up_one_worker_at_a_time(
    config_dir, feeds, make_tracker, database_url
):
    """While another worker is clustering a story (PostgreSQL), a batch with a new relevant
    statement waits before looking for copies, so two copies recorded at once cannot both
    alert; a batch with only an irrelevant statement does not wait."""
    tracker = _setup(config_dir, feeds, make_tracker, "a")
    run_once(tracker)
    holder = _Holder(database_url, CLUSTERS_LOCK_KEY)
    try:
        assert _quiet_batch_ran(tracker, feeds), "a batch of nothing relevant waited"
        feeds.set(
            "/a.xml",
            rss(
                item(
                    "a2",
                    "Putin",
                    "Putin agreed to a full ceasefire, the Kremlin said on Tuesday after a "
                    "two-hour call with Trump; the pause in strikes on energy infrastructure "
                    "would begin at once and last thirty days, his spokesman Peskov added.",
                ),
                item("a1", "Markets", "Stocks closed higher on Tuesday."),
            ),
        )
        story = threading.Thread(target=run_once, args=(tracker,))
        story.start()
        story.join(2)
        assert story.is_alive(), "a batch with a new story did not wait for the clusters"
    finally:
        holder.close()
    story.join(10)
    assert not story.is_alive()
    assert [e.data["statement"]["title"] for e in events(tracker, "statement.new")] == ["Putin"]
