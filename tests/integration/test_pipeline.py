"""The pipeline from a real feed server to a real receiver, through the services, on both databases."""

from __future__ import annotations

from datetime import timedelta

from tests.integration.helpers import (
    PUTIN,
    PUTIN_EDITED,
    WEATHER,
    count,
    events,
    json_channel,
    run_once,
    source,
    statements,
    versions,
)
from tests.servers import item, rss
from tracker.bootstrap import utcnow
from tracker.services import dispatch, polling
from tracker.storage.models import StatementRow, VersionRow

# These tests are about statements and sources; the claims the texts carry are tested elsewhere.
KINDS = ("statement.new", "statement.edited", "source.failing", "source.recovered")
ROUTES = [{"match": {"types": ["statement.*", "source.*"]}, "channels": ["desk"]}]


def _setup(config_dir, feeds, receiver, make_tracker, *paths: str):
    config_dir.sources([config_dir.feed(p.strip("/").split(".")[0], feeds.url(p)) for p in paths])
    config_dir.alerts(channels=[json_channel(receiver.address)], routes=ROUTES)
    return make_tracker()


def test_relevant_item_alerts_once_and_irrelevant_is_stored_silently(
    config_dir, feeds, receiver, make_tracker
):
    """A relevant new item alerts once; an irrelevant one is stored but alerts nobody."""
    feeds.set(
        "/wire.xml",
        rss(item("g1", "Putin agrees to energy halt", PUTIN), item("g2", "Paris weather", WEATHER)),
    )
    tracker = _setup(config_dir, feeds, receiver, make_tracker, "/wire.xml")

    summary = run_once(tracker)

    # the statement, and what it says: Putin's stance on the energy halt, its length and scope
    assert (summary.polled, summary.events, summary.sent) == (1, 4, 1)
    assert sorted(e.type for e in events(tracker)) == [
        "fact.new",
        "fact.new",
        "position.new",
        "statement.new",
    ]
    messages = receiver.messages()
    assert len(messages) == 1
    assert "Putin agrees to energy halt" in messages[0]["title"]
    assert "30-day halt" in messages[0]["message"]
    assert count(tracker, StatementRow) == 2
    assert [e.type for e in events(tracker, *KINDS)] == ["statement.new"]
    relevant = {s.title: s.relevant for s in statements(tracker)}
    assert relevant == {"Putin agrees to energy halt": True, "Paris weather": False}


def test_unchanged_feed_is_a_conditional_get_and_silent(config_dir, feeds, receiver, make_tracker):
    """The second poll sends the stored ETag, gets 304, and raises nothing."""
    feeds.set("/wire.xml", rss(item("g1", "Putin agrees to energy halt", PUTIN)))
    tracker = _setup(config_dir, feeds, receiver, make_tracker, "/wire.xml")
    run_once(tracker)

    run_once(tracker)

    last_headers = feeds.requests[-1][1]
    assert last_headers.get("If-None-Match", "").startswith('"')
    assert len(receiver.messages()) == 1
    assert len(events(tracker, *KINDS)) == 1
    assert source(tracker, "wire").last_status == "unchanged"


def test_same_bytes_without_validators_are_unchanged(config_dir, feeds, receiver, make_tracker):
    """A server without ETag or Last-Modified that sends the same bytes causes no re-parse and no event."""
    feeds.set("/wire.xml", rss(item("g1", "Putin agrees to energy halt", PUTIN)), validators=False)
    tracker = _setup(config_dir, feeds, receiver, make_tracker, "/wire.xml")
    run_once(tracker)
    run_once(tracker)
    assert source(tracker, "wire").last_status == "unchanged"
    assert len(events(tracker, *KINDS)) == 1


def test_edit_alerts_with_a_word_diff_and_flip_back_is_silent(
    config_dir, feeds, receiver, make_tracker
):
    """An edit alerts with what changed; going back to the earlier text stores no version and alerts nobody."""
    feeds.set("/wire.xml", rss(item("g1", "Putin agrees to energy halt", PUTIN)))
    tracker = _setup(config_dir, feeds, receiver, make_tracker, "/wire.xml")
    run_once(tracker)

    feeds.set("/wire.xml", rss(item("g1", "Putin agrees to energy halt", PUTIN_EDITED)))
    run_once(tracker)
    edited = events(tracker, "statement.edited")
    assert len(edited) == 1
    assert "{+but rejected a full ceasefire,+}" in edited[0].data["diff"]
    assert edited[0].data["previous"]["version"] == 1
    assert edited[0].data["statement"]["version"] == 2
    assert "but rejected a full ceasefire" in receiver.messages()[-1]["message"]

    feeds.set("/wire.xml", rss(item("g1", "Putin agrees to energy halt", PUTIN)))
    run_once(tracker)
    assert len(receiver.messages()) == 2
    assert count(tracker, VersionRow) == 2
    assert statements(tracker)[0].fingerprint == versions(tracker)[0].fingerprint


def test_typographic_changes_are_not_edits(config_dir, feeds, receiver, make_tracker):
    """Curly quotes, dashes, case and spacing changes are not news."""
    feeds.set("/wire.xml", rss(item("g1", "Putin agrees to energy halt", PUTIN)))
    tracker = _setup(config_dir, feeds, receiver, make_tracker, "/wire.xml")
    run_once(tracker)
    retyped = (
        PUTIN.replace("'", "\u2019").replace("30-day", "30\u2013day").replace("Kremlin", "KREMLIN")
    )
    feeds.set("/wire.xml", rss(item("g1", "Putin agrees to  energy halt", "  " + retyped)))
    run_once(tracker)
    assert [e.type for e in events(tracker, *KINDS)] == ["statement.new"]


def test_irrelevant_item_edited_into_relevance_is_announced_as_new(
    config_dir, feeds, receiver, make_tracker
):
    """An item stored as irrelevant that an edit makes relevant alerts as a new statement."""
    feeds.set("/wire.xml", rss(item("g1", "Weekend outlook", WEATHER)))
    tracker = _setup(config_dir, feeds, receiver, make_tracker, "/wire.xml")
    run_once(tracker)
    assert events(tracker, *KINDS) == []
    feeds.set(
        "/wire.xml", rss(item("g1", "Weekend outlook", WEATHER + " Zelenskiy will visit Paris."))
    )
    run_once(tracker)
    assert [e.type for e in events(tracker, *KINDS)] == ["statement.new"]


def test_event_is_a_cloudevent_with_provenance(config_dir, feeds, receiver, make_tracker):
    """Events carry the CloudEvents attributes, the source, the statement and the matched terms."""
    feeds.set("/wire.xml", rss(item("g1", "Putin agrees to energy halt", PUTIN)))
    config_dir.sources([config_dir.feed("wire", feeds.url("/wire.xml"), speaker="Kremlin")])
    tracker = make_tracker()
    run_once(tracker)
    (event,) = events(tracker, *KINDS)
    assert event.source == "/sources/wire"
    assert event.subject == f"statements/{event.statement_id}"
    assert event.severity == "routine"
    assert event.data["source"]["speaker"] == "Kremlin"
    assert event.data["statement"]["url"] == "http://example.org/g1"
    assert event.data["statement"]["published"] is not None
    assert "Putin" in event.data["matched_terms"]["ukraine-ceasefire"]


def test_failures_back_off_then_report_failing_once_and_recovered_once(
    config_dir, feeds, receiver, make_tracker
):
    """A source failing N times in a row alerts `source.failing` once; its first success alerts `source.recovered`."""
    feeds.set("/wire.xml", b"oops", status=500, content_type="text/plain")
    tracker = _setup(config_dir, feeds, receiver, make_tracker, "/wire.xml")

    before = utcnow()
    run_once(tracker)
    first = source(tracker, "wire")
    assert (first.last_status, first.consecutive_failures, first.failing) == ("error", 1, False)
    assert first.last_error == "HTTP 500 Internal Server Error"
    assert first.next_poll_at >= before + timedelta(seconds=60 * 0.9)
    run_once(tracker)
    run_once(tracker)
    third = source(tracker, "wire")
    assert third.failing
    assert third.next_poll_at >= utcnow() + timedelta(seconds=4 * 60 * 0.85)  # doubled twice
    run_once(tracker)
    assert [e.type for e in events(tracker, *KINDS)] == ["source.failing"]

    feeds.set("/wire.xml", rss(item("g1", "Paris weather", WEATHER)))
    run_once(tracker)
    run_once(tracker)
    assert [e.type for e in events(tracker, *KINDS)] == ["source.failing", "source.recovered"]
    assert [m["title"] for m in receiver.messages()] == [
        "Source failing: wire",
        "Source recovered: wire",
    ]
    recovered = source(tracker, "wire")
    assert (recovered.consecutive_failures, recovered.failing, recovered.last_status) == (
        0,
        False,
        "unchanged",
    )


def test_retry_after_is_honoured(config_dir, feeds, receiver, make_tracker):
    """A 429 with Retry-After schedules the next poll no sooner than the server asked."""
    feeds.set("/wire.xml", b"", status=429, headers={"Retry-After": "7200"})
    tracker = _setup(config_dir, feeds, receiver, make_tracker, "/wire.xml")
    run_once(tracker)
    row = source(tracker, "wire")
    assert row.last_error.startswith("HTTP 429")
    assert row.next_poll_at >= utcnow() + timedelta(seconds=7100)


def test_a_broken_source_costs_the_others_nothing(config_dir, feeds, receiver, make_tracker):
    """Beside a 404, a malformed feed and a refused connection, a good feed still alerts."""
    feeds.set(
        "/good.xml",
        rss(
            item(
                "z1",
                "Zelenskiy backs energy ceasefire",
                "Ukraine would support an energy ceasefire.",
            )
        ),
    )
    feeds.set("/cut.xml", b'<?xml version="1.0"?><rss version="2.0"><channel><item><title>Putin')
    config_dir.sources(
        [
            config_dir.feed("good", feeds.url("/good.xml")),
            config_dir.feed("cut", feeds.url("/cut.xml")),
            config_dir.feed("gone", feeds.url("/missing.xml")),
            config_dir.feed("refused", "http://127.0.0.1:9/feed.xml"),
        ]
    )
    config_dir.alerts(channels=[json_channel(receiver.address)], routes=ROUTES)
    tracker = make_tracker()

    summary = run_once(tracker)

    assert (summary.polled, summary.failed) == (4, 3)
    assert [m["title"] for m in receiver.messages()] == [
        "New statement: Zelenskiy backs energy ceasefire"
    ]
    assert source(tracker, "gone").last_error == "HTTP 404 Not Found"
    assert source(tracker, "cut").last_error.startswith("malformed XML")
    assert source(tracker, "refused").last_error.startswith("cannot connect")
    assert source(tracker, "good").last_status == "ok"


def test_sources_leased_elsewhere_are_not_polled(config_dir, feeds, receiver, make_tracker):
    """A source another worker holds is skipped by an inline run, not polled twice."""
    feeds.set("/wire.xml", rss(item("g1", "Putin agrees to energy halt", PUTIN)))
    tracker = _setup(config_dir, feeds, receiver, make_tracker, "/wire.xml")
    run_once(tracker)
    with tracker.db.unit_of_work() as uow:
        held = dispatch.lease_now(uow, utcnow(), None, batch_size=10, lease_seconds=300)
        uow.commit()
    assert held[0].source_ids == ["wire"]

    summary = run_once(tracker)

    assert (summary.polled, summary.busy) == (0, 1)
    assert feeds.hits("/wire.xml") == 1


def test_a_batch_that_lost_its_lease_records_nothing(config_dir, feeds, receiver, make_tracker):
    """When a lease expired and another worker took the source, the slow batch's results are dropped."""
    feeds.set("/wire.xml", rss(item("g1", "Putin agrees to energy halt", PUTIN)))
    tracker = _setup(config_dir, feeds, receiver, make_tracker, "/wire.xml")
    runtime = tracker.runtime()
    with tracker.db.unit_of_work() as uow:
        tracker_sync = __import__("tracker.services.sync", fromlist=["sync_sources"])
        tracker_sync.sync_sources(uow, runtime.sources, utcnow())
        (slow,) = dispatch.lease_now(uow, utcnow(), None, batch_size=10, lease_seconds=1)
        uow.commit()
    later = utcnow() + timedelta(seconds=5)
    with tracker.db.unit_of_work() as uow:
        taken = dispatch.lease_due(uow, later, batch_size=10, max_batches=1, lease_seconds=300)
        uow.commit()
    assert taken[0].source_ids == ["wire"]

    report = polling.poll_batch(
        tracker.db, runtime, slow.token, slow.source_ids, clock=utcnow, fetcher=tracker.fetch
    )

    assert report.polled == 0
    assert report.lost == ["wire"]
    assert count(tracker, StatementRow) == 0
    assert events(tracker, *KINDS) == []


def test_running_a_batch_twice_changes_nothing_the_second_time(
    config_dir, feeds, receiver, make_tracker
):
    """A redelivered poll_batch message finds its lease released and does nothing."""
    feeds.set("/wire.xml", rss(item("g1", "Putin agrees to energy halt", PUTIN)))
    tracker = _setup(config_dir, feeds, receiver, make_tracker, "/wire.xml")
    runtime = tracker.runtime()
    with tracker.db.unit_of_work() as uow:
        __import__("tracker.services.sync", fromlist=["x"]).sync_sources(
            uow, runtime.sources, utcnow()
        )
        (batch,) = dispatch.lease_now(uow, utcnow(), None, batch_size=10, lease_seconds=60)
        uow.commit()
    first = polling.poll_batch(
        tracker.db, runtime, batch.token, batch.source_ids, clock=utcnow, fetcher=tracker.fetch
    )
    second = polling.poll_batch(
        tracker.db, runtime, batch.token, batch.source_ids, clock=utcnow, fetcher=tracker.fetch
    )
    assert (first.polled, len(first.events)) == (1, 4)
    assert (second.polled, len(second.events)) == (0, 0)
    assert feeds.hits("/wire.xml") == 1
    assert len(events(tracker, *KINDS)) == 1


def test_a_new_source_does_not_replay_its_archive(config_dir, feeds, receiver, make_tracker):
    """On a source's first poll, old relevant items are stored as known; fresh ones alert; later edits of old ones alert."""
    old = "Tue, 18 Mar 2025 12:00:00 GMT"
    feeds.set(
        "/wire.xml",
        rss(
            item("old", "Putin call in March", PUTIN, pub=old),
            item("new", "Putin agrees to energy halt", PUTIN),
        ),
    )
    tracker = _setup(config_dir, feeds, receiver, make_tracker, "/wire.xml")
    run_once(tracker)
    assert [m["title"] for m in receiver.messages()] == [
        "New statement: Putin agrees to energy halt"
    ]
    assert count(tracker, StatementRow) == 2

    feeds.set(
        "/wire.xml",
        rss(
            item("old", "Putin call in March", PUTIN_EDITED, pub=old),
            item("new", "Putin agrees to energy halt", PUTIN),
        ),
    )
    run_once(tracker)
    assert [e.type for e in events(tracker, *KINDS)] == ["statement.new", "statement.edited"]


def _undated(guid: str, title: str, text: str) -> dict[str, str]:
    entry = item(guid, title, text)
    del entry["pubDate"]
    return entry


def test_a_first_poll_learns_a_long_undated_list_and_announces_what_comes_after(
    config_dir, feeds, receiver, make_tracker
):
    """A new source listing twenty items without dates (an archive nobody can date) is learned
    on its first poll, not announced; an undated item that appears later is news."""
    archive = [_undated(f"u{i}", f"Putin statement {i}", PUTIN) for i in range(20)]
    feeds.set("/wire.xml", rss(*archive))
    tracker = _setup(config_dir, feeds, receiver, make_tracker, "/wire.xml")
    run_once(tracker)
    assert count(tracker, StatementRow) == 20
    assert events(tracker, *KINDS) == []
    assert receiver.messages() == []

    feeds.set("/wire.xml", rss(_undated("u20", "Putin agrees to energy halt", PUTIN), *archive))
    run_once(tracker)
    assert [m["title"] for m in receiver.messages()] == [
        "New statement: Putin agrees to energy halt"
    ]


def test_a_broken_entry_costs_only_itself(config_dir, feeds, receiver, make_tracker):
    """An entry with an unparseable link is kept without it; the rest of the feed is recorded."""
    body = rss(item("g1", "Putin agrees to energy halt", PUTIN)).replace(
        b"<link>http://example.org/g1</link>", b"<link>http://[oops/x</link>"
    )
    feeds.set("/wire.xml", body)
    tracker = _setup(config_dir, feeds, receiver, make_tracker, "/wire.xml")
    summary = run_once(tracker)
    assert (summary.polled, summary.failed, summary.events) == (1, 0, 4)
    assert statements(tracker)[0].url is None


def test_header_values_stay_out_of_the_database(config_dir, feeds, receiver, make_tracker):
    """A source's request headers are sent but never stored (they may hold API keys)."""
    feeds.set("/wire.xml", rss(item("g1", "Putin agrees to energy halt", PUTIN)))
    config_dir.sources(
        [
            config_dir.feed(
                "wire", feeds.url("/wire.xml"), headers={"Authorization": "Bearer SEKRET123"}
            )
        ]
    )
    tracker = make_tracker()
    run_once(tracker)
    assert feeds.requests[-1][1]["Authorization"] == "Bearer SEKRET123"
    row = source(tracker, "wire")
    assert "SEKRET123" not in repr(row.spec)
    assert row.spec["header_names"] == ["Authorization"]
