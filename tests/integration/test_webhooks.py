"""Signed webhook delivery to real receivers, verified by the standardwebhooks package."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from standardwebhooks.webhooks import Webhook

from tests.integration.helpers import PUTIN, PUTIN_EDITED, deliveries, events, run_once
from tests.servers import item, rss
from tracker.bootstrap import utcnow
from tracker.delivery.signing import new_secret
from tracker.services import delivering, inline
from tracker.storage.models import WebhookEndpointRow

SECRET = new_secret()


def _setup(config_dir, feeds, receiver, make_tracker, types=None, **settings):
    feeds.set("/wire.xml", rss(item("g1", "Putin agrees to energy halt", PUTIN)))
    config_dir.sources([config_dir.feed("wire", feeds.url("/wire.xml"))])
    hook = {"id": "consumer", "url": f"http://{receiver.address}/hook", "secret": SECRET}
    if types:
        hook["types"] = types
    (config_dir.path / "alerts.yaml").write_text(
        json.dumps({"channels": [], "routes": [], "webhooks": [hook]})
    )
    return make_tracker(**settings)


def _deliver(tracker):
    return delivering.deliver_due_inline(
        tracker.db, tracker.runtime(), tracker.senders, clock=utcnow
    )


def _verified(receiver):
    wh = Webhook(SECRET)
    out = []
    for request in receiver.received:
        headers = {k.lower(): v for k, v in request["headers"].items()}
        wh.verify(request["body"], headers)  # raises if the signature does not hold
        out.append((headers, json.loads(request["body"])))
    return out


def test_each_event_arrives_as_a_signed_structured_cloudevent(
    config_dir, feeds, receiver, make_tracker
):
    """Every event is POSTed as application/cloudevents+json, signed, with webhook-id = event id."""
    tracker = _setup(config_dir, feeds, receiver, make_tracker)
    run_once(tracker)
    got = _verified(receiver)
    assert sorted(body["type"] for _, body in got) == [
        "fact.new",
        "fact.new",
        "position.new",
        "statement.new",
    ]
    for headers, body in got:
        assert headers["content-type"] == "application/cloudevents+json"
        assert headers["webhook-id"] == body["id"]
        assert body["specversion"] == "1.0"
        assert body["source"] == "/sources/wire"
        assert abs(int(headers["webhook-timestamp"]) - time.time()) < 60


def test_types_choose_what_an_endpoint_gets(config_dir, feeds, receiver, make_tracker):
    """An endpoint subscribed to position.* gets the position event only."""
    tracker = _setup(config_dir, feeds, receiver, make_tracker, types=["position.*"])
    run_once(tracker)
    assert [body["type"] for _, body in _verified(receiver)] == ["position.new"]


def test_a_500_is_retried_with_the_same_id_and_the_attempts_are_recorded(
    config_dir, feeds, receiver, make_tracker
):
    """500 then 200: delivered on the retry, same webhook-id, both attempts on record with their codes."""
    receiver.statuses = [500]
    tracker = _setup(
        config_dir,
        feeds,
        receiver,
        make_tracker,
        types=["statement.*"],
        delivery_retry_schedule=(0, 0.3),
    )
    run_once(tracker)
    (row,) = deliveries(tracker)
    assert (row.status, row.attempts) == ("pending", 1)
    time.sleep(0.35)
    _deliver(tracker)
    (row,) = deliveries(tracker)
    assert row.status == "sent"
    ids = [r["headers"]["webhook-id"] for r in receiver.requests]
    assert len(ids) == 2
    assert ids[0] == ids[1]
    with tracker.db.reader() as uow:
        assert [a.status_code for a in uow.deliveries.attempts(row.id)] == [500, 200]


def test_410_disables_the_endpoint_and_says_so(config_dir, feeds, receiver, make_tracker):
    """410 Gone: the endpoint is disabled, nothing stays pending or is added; an ops event says so."""
    receiver.statuses = [410]
    tracker = _setup(config_dir, feeds, receiver, make_tracker)
    run_once(tracker)
    with tracker.db.reader() as uow:
        endpoint = uow.webhooks.get("consumer")
    assert endpoint is not None
    assert not endpoint.enabled
    assert endpoint.disabled_reason == "the receiver answered 410 Gone"
    statuses = {d.status for d in deliveries(tracker)}
    assert "dead" in statuses
    assert "pending" not in statuses
    (disabled,) = events(tracker, "endpoint.disabled")
    feeds.set("/wire.xml", rss(item("g2", "Zelenskiy on talks", "Zelenskiy backs peace talks.")))
    before = len(deliveries(tracker))
    run_once(tracker)
    assert len(deliveries(tracker)) == before  # a disabled endpoint gets nothing new
    assert disabled.data["endpoint"]["id"] == "consumer"
    assert disabled.severity == "urgent"


def test_429_retry_after_is_honoured(config_dir, feeds, receiver, make_tracker):
    """429 with Retry-After: 120 puts the next attempt at least two minutes out."""
    receiver.statuses = [(429, {"Retry-After": "120"})]
    tracker = _setup(config_dir, feeds, receiver, make_tracker, types=["statement.*"])
    run_once(tracker)
    (row,) = deliveries(tracker)
    assert row.last_error.startswith("HTTP 429")
    assert row.next_attempt_at >= utcnow() + timedelta(seconds=115)


def test_a_hanging_receiver_times_out_and_is_retried(config_dir, feeds, receiver, make_tracker):
    """No answer within the timeout is a failed attempt, retried later."""
    receiver.statuses = ["hang"]
    tracker = _setup(
        config_dir, feeds, receiver, make_tracker, types=["statement.*"], webhook_timeout=1
    )
    started = time.monotonic()
    run_once(tracker)
    assert time.monotonic() - started < 10
    (row,) = deliveries(tracker)
    assert (row.status, row.last_error) == ("pending", "no response within the timeout")


def test_redirects_are_not_followed(config_dir, feeds, receiver, make_tracker):
    """A 3xx is a failure that names the redirect; the new location is not called."""
    receiver.statuses = [(301, {"Location": "http://127.0.0.1:9/elsewhere"})]
    tracker = _setup(config_dir, feeds, receiver, make_tracker, types=["statement.*"])
    run_once(tracker)
    (row,) = deliveries(tracker)
    assert "redirect not followed" in row.last_error


def test_an_endpoint_failing_for_days_is_disabled(config_dir, feeds, receiver, make_tracker):
    """Failing longer than the limit (5 days; a second here) disables the endpoint with a reason."""
    receiver.statuses = [500, 500]
    tracker = _setup(
        config_dir,
        feeds,
        receiver,
        make_tracker,
        types=["statement.*"],
        delivery_retry_schedule=(0, 1.2, 60),
        webhook_disable_after_seconds=1,
    )
    run_once(tracker)
    time.sleep(1.5)  # past the retry at 1.2 s, jitter (+/-10%) included
    _deliver(tracker)
    with tracker.db.reader() as uow:
        endpoint = uow.webhooks.get("consumer")
    assert endpoint is not None
    assert not endpoint.enabled
    assert endpoint.disabled_reason.startswith("every delivery failed for")


def test_loopback_targets_are_refused_without_the_allow_list(
    config_dir, feeds, receiver, make_tracker
):
    """Without TRACKER_ALLOWED_NETWORKS a webhook to 127.0.0.1 is refused, and nothing is sent."""
    polling = _setup(config_dir, feeds, receiver, make_tracker, types=["statement.*"])
    guarded = make_tracker(allowed_networks=())  # polls with the allow-list, delivers without
    inline.poll_once(
        polling.db, polling.runtime(), fetcher=polling.fetch, senders=guarded.senders, clock=utcnow
    )
    assert receiver.requests == []
    (row,) = deliveries(polling)
    assert row.last_error.startswith("refused: 127.0.0.1 is a loopback address")


def test_events_of_one_subject_arrive_in_order(config_dir, feeds, receiver, make_tracker):
    """While an earlier event of a statement is undelivered, a later one of it waits its turn."""
    receiver.statuses = [500]
    tracker = _setup(
        config_dir,
        feeds,
        receiver,
        make_tracker,
        types=["statement.*"],
        delivery_retry_schedule=(0, 0.4, 60),
    )
    run_once(tracker)  # statement.new: fails once
    feeds.set("/wire.xml", rss(item("g1", "Putin agrees to energy halt", PUTIN_EDITED)))
    run_once(tracker)  # statement.edited: must wait behind statement.new
    assert [r["status"] for r in receiver.requests] == [500]
    time.sleep(0.45)
    _deliver(tracker)
    got = [body["type"] for _, body in _verified(receiver)]
    assert got == ["statement.new", "statement.edited"]


def test_config_endpoints_follow_the_file(config_dir, feeds, receiver, make_tracker):
    """An endpoint removed from the file is disabled, not deleted; its secret is never in events."""
    tracker = _setup(config_dir, feeds, receiver, make_tracker)
    run_once(tracker)
    (config_dir.path / "alerts.yaml").write_text(
        json.dumps({"channels": [], "routes": [], "webhooks": []})
    )
    time.sleep(0.05)
    run_once(tracker)
    with tracker.db.reader() as uow:
        row = uow.session.get(WebhookEndpointRow, "consumer")
    assert row is not None
    assert not row.enabled
    assert row.disabled_reason == "removed from the config file"
    assert SECRET not in repr([e.data for e in events(tracker)])


@pytest.mark.parametrize("secret", ["plain", "whsec_!!!", "whsec_c2hvcnQ="])
def test_bad_secrets_are_refused_with_the_line(config_dir, secret):
    """A secret that is not whsec_ + base64 of at least 16 bytes is a located config error."""
    from tracker.config.errors import ConfigError
    from tracker.config.loader import load_config

    (config_dir.path / "alerts.yaml").write_text(
        f"webhooks:\n  - id: h\n    url: http://example.org/h\n    secret: {secret}\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(config_dir.path)
    assert str(caught.value).startswith(f"{config_dir.path}/alerts.yaml:4: webhooks[0].secret:")
