"""Delivery through apprise to real receivers: retries from the row, isolation, idempotence."""

from __future__ import annotations

import time

from tests.integration.helpers import PUTIN, deliveries, events, json_channel, run_once
from tests.servers import item, rss
from tracker.bootstrap import utcnow
from tracker.services import delivering
from tracker.storage.models import DeliveryAttemptRow


def _one_event(config_dir, feeds, receiver, make_tracker, *, channels, routes, **settings):
    feeds.set("/wire.xml", rss(item("g1", "Putin agrees to energy halt", PUTIN)))
    config_dir.sources([config_dir.feed("wire", feeds.url("/wire.xml"))])
    config_dir.alerts(channels=channels, routes=routes)
    tracker = make_tracker(**settings)
    run_once(tracker)
    return tracker


def _attempts(tracker, delivery_id):
    with tracker.db.reader() as uow:
        return uow.deliveries.attempts(delivery_id)


def test_failed_send_is_retried_from_the_row_until_sent(config_dir, feeds, receiver, make_tracker):
    """A 500 is recorded as an attempt and retried after the scheduled delay; the retry is sent."""
    receiver.statuses = [500]
    tracker = _one_event(
        config_dir,
        feeds,
        receiver,
        make_tracker,
        channels=[json_channel(receiver.address)],
        routes=[{"match": {"types": ["statement.*"]}, "channels": ["desk"]}],
        delivery_retry_schedule=(0, 0.5, 60),
    )
    (row,) = deliveries(tracker)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.last_error
    assert "500" in row.last_error
    assert row.next_attempt_at > utcnow()

    assert (
        delivering.deliver_due_inline(tracker.db, tracker.runtime(), tracker.senders, clock=utcnow)
        == []
    )
    time.sleep(0.6)
    outcomes = delivering.deliver_due_inline(
        tracker.db, tracker.runtime(), tracker.senders, clock=utcnow
    )

    assert [o.status for o in outcomes] == ["sent"]
    (row,) = deliveries(tracker)
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)
    assert [a.outcome for a in _attempts(tracker, row.id)] == ["failed", "sent"]
    assert len(receiver.messages()) == 1


def test_delivery_gives_up_after_the_schedule(config_dir, feeds, receiver, make_tracker):
    """When every scheduled attempt failed the delivery is dead, with each attempt on record."""
    tracker = _one_event(
        config_dir,
        feeds,
        receiver,
        make_tracker,
        channels=[{"id": "down", "url": "json://127.0.0.1:9/alerts"}],
        routes=[{"match": {"types": ["statement.*"]}, "channels": ["down"]}],
        delivery_retry_schedule=(0, 0, 0),
    )
    (row,) = deliveries(tracker)
    assert (row.status, row.attempts, row.next_attempt_at) == ("dead", 3, None)
    assert "Connection error" in row.last_error
    assert len(_attempts(tracker, row.id)) == 3


def test_a_failing_channel_does_not_hold_up_the_others(config_dir, feeds, receiver, make_tracker):
    """One event routed to a dead channel and a live one reaches the live one, and the failure is recorded."""
    tracker = _one_event(
        config_dir,
        feeds,
        receiver,
        make_tracker,
        channels=[
            {"id": "down", "url": "json://127.0.0.1:9/alerts"},
            json_channel(receiver.address),
        ],
        routes=[{"match": {"types": ["statement.*"]}, "channels": ["down", "desk"]}],
    )
    by_target = {d.target: d for d in deliveries(tracker)}
    assert by_target["channel:desk"].status == "sent"
    assert by_target["channel:down"].status == "pending"
    assert by_target["channel:down"].attempts == 1
    assert len(receiver.messages()) == 1


def test_routes_pick_channels_by_type_and_severity(config_dir, feeds, receiver, make_tracker):
    """Only routes whose criteria all match produce deliveries."""
    tracker = _one_event(
        config_dir,
        feeds,
        receiver,
        make_tracker,
        channels=[json_channel(receiver.address, "desk"), json_channel(receiver.address, "ops")],
        routes=[
            {"match": {"types": ["statement.*"], "severities": ["routine"]}, "channels": ["desk"]},
            {"match": {"types": ["source.*"]}, "channels": ["ops"]},
        ],
    )
    assert [d.target for d in deliveries(tracker)] == ["channel:desk"]


def test_delivering_twice_sends_once(config_dir, feeds, receiver, make_tracker):
    """Running deliver again for a sent delivery (a redelivered message) sends nothing."""
    tracker = _one_event(
        config_dir,
        feeds,
        receiver,
        make_tracker,
        channels=[json_channel(receiver.address)],
        routes=[{"match": {"types": ["statement.*"]}, "channels": ["desk"]}],
    )
    (row,) = deliveries(tracker)
    again = delivering.deliver(
        tracker.db, tracker.runtime(), tracker.senders, row.id, None, clock=utcnow
    )
    assert again.status == "skipped"
    assert len(receiver.messages()) == 1


def test_a_delivery_to_a_removed_channel_records_why(config_dir, feeds, receiver, make_tracker):
    """A channel removed from the config after its event was written fails with a clear reason."""
    receiver.statuses = [500]
    tracker = _one_event(
        config_dir,
        feeds,
        receiver,
        make_tracker,
        channels=[json_channel(receiver.address)],
        routes=[{"match": {"types": ["statement.*"]}, "channels": ["desk"]}],
        delivery_retry_schedule=(0, 0.3),
    )
    config_dir.alerts(channels=[], routes=[])
    time.sleep(0.35)  # the retry is due, and the config file has a new mtime
    delivering.deliver_due_inline(tracker.db, tracker.runtime(), tracker.senders, clock=utcnow)
    (row,) = deliveries(tracker)
    assert row.status == "dead"
    assert row.last_error == "channel:desk is not configured"


def test_secrets_in_channel_urls_never_reach_the_database(
    config_dir, feeds, receiver, make_tracker
):
    """A token in a channel URL appears in no event, delivery or attempt row."""
    secret = "s3cr3tTokenValue"
    tracker = _one_event(
        config_dir,
        feeds,
        receiver,
        make_tracker,
        channels=[{"id": "desk", "url": f"json://user:{secret}@127.0.0.1:9/alerts"}],
        routes=[{"match": {"types": ["statement.*"]}, "channels": ["desk"]}],
        delivery_retry_schedule=(0,),
    )
    with tracker.db.reader() as uow:
        attempts = list(uow.session.query(DeliveryAttemptRow))
    stored = repr([e.data for e in events(tracker)]) + repr(
        [(d.target, d.last_error) for d in deliveries(tracker)]
    )
    stored += repr([a.error for a in attempts])
    assert attempts
    assert secret not in stored
