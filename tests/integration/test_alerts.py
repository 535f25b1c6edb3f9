"""Alerts through apprise to real receivers: e-mail over SMTP, Mattermost, apprise config files,
digests, cooldowns, quiet hours and severity rules."""

from __future__ import annotations

import json
import socket
from datetime import time as clock_time

import pytest
from aiosmtpd.controller import Controller

from tests.integration.helpers import PUTIN, deliveries, events, json_channel, run_once
from tests.servers import item, rss
from tracker.bootstrap import utcnow
from tracker.services import delivering


class Mailbox:
    """Messages an SMTP server received."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content)
        return "250 OK"


@pytest.fixture
def smtp():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    mailbox.port = port
    yield mailbox
    controller.stop()


def _alerts(config_dir, **alerts):
    (config_dir.path / "alerts.yaml").write_text(
        json.dumps({"channels": [], "routes": [], **alerts})
    )


def _feed(config_dir, feeds, *items):
    feeds.set("/wire.xml", rss(*items))
    config_dir.sources([config_dir.feed("wire", feeds.url("/wire.xml"), speaker="Kremlin")])


def test_email_alerts_are_html_with_the_evidence(config_dir, feeds, smtp, make_tracker):
    """An SMTP channel gets an HTML e-mail per alert, with the quoted sentence and the link."""
    _feed(config_dir, feeds, item("g1", "Putin agrees to energy halt", PUTIN))
    url = f"mailto://127.0.0.1:{smtp.port}?from=tracker@example.org&to=desk@example.org"
    _alerts(
        config_dir,
        channels=[{"id": "mail", "url": url}],
        routes=[{"match": {"types": ["position.*"]}, "channels": ["mail"]}],
    )
    run_once(make_tracker())
    (message,) = smtp.messages
    text = message.decode("utf-8", "replace")
    assert "Subject: [FLASH] Position: Vladimir Putin supports a halt to strikes on energy" in text
    assert "text/html" in text
    assert "<blockquote>" in text.replace("=\r\n", "")
    assert "desk@example.org" in text


def test_mattermost_gets_markdown(config_dir, feeds, receiver, make_tracker):
    """A Mattermost-style incoming webhook receives the alert as markdown text."""
    _feed(config_dir, feeds, item("g1", "Putin agrees to energy halt", PUTIN))
    _alerts(
        config_dir,
        channels=[
            {
                "id": "mm",
                "url": f"mmost://{receiver.address}/abcdefghijklmnop",
                "format": "markdown",
            }
        ],
        routes=[{"match": {"types": ["fact.*"]}, "channels": ["mm"]}],
    )
    run_once(make_tracker())
    # the statement's two facts: its 30 days and its energy-infrastructure scope
    bodies = [json.loads(r["body"]) for r in receiver.received]
    assert {r["path"] for r in receiver.received} == {"/hooks/abcdefghijklmnop"}
    assert any("**Ceasefire duration \\(days\\):** **30**" in b["text"] for b in bodies)


def test_an_apprise_config_file_sends_to_each_tagged_service_on_its_own(
    config_dir, feeds, receiver, make_tracker
):
    """A channel from an apprise config file reaches each service with the tag, each recorded apart."""
    _feed(config_dir, feeds, item("g1", "Putin agrees to energy halt", PUTIN))
    (config_dir.path / "apprise.yml").write_text(
        f"urls:\n  - json://{receiver.address}/one:\n    - tag: desk\n"
        f"  - json://127.0.0.1:9/two:\n    - tag: desk\n"
        f"  - json://{receiver.address}/three:\n    - tag: other\n"
    )
    _alerts(
        config_dir,
        channels=[{"id": "team", "config": "apprise.yml", "tags": ["desk"]}],
        routes=[{"match": {"types": ["statement.*"]}, "channels": ["team"]}],
    )
    run_once(make_tracker())
    assert [r["path"] for r in receiver.received] == ["/one"]
    by_target = {d.target: d.status for d in deliveries(make_tracker())}
    assert by_target == {"channel:team#0": "sent", "channel:team#1": "pending"}


def test_a_digest_sends_one_message_for_a_window(config_dir, feeds, receiver, make_tracker):
    """Routine statements on a digest route wait for the window's end and go as one message."""
    _feed(config_dir, feeds, *(item(f"g{i}", f"Kremlin statement {i}", PUTIN) for i in range(3)))
    _alerts(
        config_dir,
        channels=[json_channel(receiver.address)],
        routes=[{"match": {"types": ["statement.*"]}, "channels": ["desk"], "digest": 60}],
    )
    tracker = make_tracker()
    run_once(tracker)
    assert receiver.received == []
    due = {d.next_attempt_at for d in deliveries(tracker)}
    (window_end,) = due
    delivering.deliver_due_inline(
        tracker.db, tracker.runtime(), tracker.senders, clock=lambda: window_end
    )
    (message,) = receiver.messages()
    assert message["title"] == "Digest: 3 updates"
    assert all(f"Kremlin statement {i}" in message["message"] for i in range(3))
    assert {d.status for d in deliveries(tracker)} == {"sent"}


def test_eight_deliverers_of_one_digest_at_once_send_one_message(
    config_dir, feeds, receiver, make_tracker
):
    """Eight statements in one digest window, delivered by eight threads at once: one message
    with all eight, every delivery sent, no deadlock (repeated, as races are)."""
    texts = [f"Kremlin statement {i} on the talks about a ceasefire." for i in range(8)]
    _feed(config_dir, feeds, *(item(f"g{i}", f"Statement {i}", t) for i, t in enumerate(texts)))
    _alerts(
        config_dir,
        channels=[json_channel(receiver.address)],
        routes=[{"match": {"types": ["statement.*"]}, "channels": ["desk"], "digest": 60}],
    )
    tracker = make_tracker()
    run_once(tracker)
    (window_end,) = {d.next_attempt_at for d in deliveries(tracker)}
    delivering.deliver_due_inline(
        tracker.db, tracker.runtime(), tracker.senders, clock=lambda: window_end, workers=8
    )
    (message,) = receiver.messages()
    assert message["title"] == "Digest: 8 updates"
    assert {d.status for d in deliveries(tracker)} == {"sent"}


def test_a_cooldown_keeps_a_flapping_subject_from_paging_twice(
    config_dir, feeds, receiver, make_tracker
):
    """A second alert on the same subject inside the cooldown is recorded as suppressed, not sent."""
    _feed(config_dir, feeds, item("g1", "Putin on the truce", "Putin rejected a full ceasefire."))
    _alerts(
        config_dir,
        channels=[json_channel(receiver.address)],
        routes=[{"match": {"types": ["position.*"]}, "channels": ["desk"], "cooldown": "30m"}],
    )
    tracker = make_tracker()
    run_once(tracker)
    feeds.set(
        "/wire.xml",
        rss(
            item("g2", "Putin today", "Putin agreed to a full ceasefire."),
            item(
                "g1",
                "Putin on the truce",
                "Putin rejected a full ceasefire.",
                pub="Mon, 01 Jan 2024 00:00:00 GMT",
            ),
        ),
    )
    run_once(tracker)
    assert [e.type for e in events(tracker, "position.new", "position.changed")] == [
        "position.new",
        "position.changed",
    ]
    assert [d.status for d in deliveries(tracker)] == ["sent", "suppressed"]
    assert len(receiver.received) == 1


def test_quiet_hours_hold_routine_alerts_but_not_flash(config_dir, feeds, receiver, make_tracker):
    """During a channel's quiet hours, flash alerts go at once; the rest wait until the quiet ends."""
    _feed(config_dir, feeds, item("g1", "Putin agrees to energy halt", PUTIN))
    now = utcnow()
    start = clock_time((now.hour - 1) % 24, 0)
    end = clock_time((now.hour + 2) % 24, 0)
    quiet = {"start": start.isoformat(), "end": end.isoformat(), "timezone": "UTC"}
    _alerts(
        config_dir,
        channels=[{**json_channel(receiver.address), "quiet_hours": quiet}],
        routes=[{"match": {}, "channels": ["desk"]}],
    )
    tracker = make_tracker()
    run_once(tracker)
    assert [m["title"].split(":")[0] for m in receiver.messages()] == ["[FLASH] Position"]
    held = [d for d in deliveries(tracker) if d.status == "pending"]
    assert len(held) == 3  # the statement and its two facts (30 days, energy scope)
    assert all(d.next_attempt_at.hour == end.hour for d in held)


def test_severity_rules_set_the_tier_that_routes_see(config_dir, feeds, receiver, make_tracker):
    """A severity rule makes fact changes flash; a route for flash only then takes them."""
    _feed(config_dir, feeds, item("g1", "Putin agrees to energy halt", PUTIN))
    _alerts(
        config_dir,
        channels=[json_channel(receiver.address)],
        severity=[{"match": {"facts": ["ceasefire.*"]}, "severity": "flash"}],
        routes=[{"match": {"severities": ["flash"]}, "channels": ["desk"]}],
    )
    tracker = make_tracker()
    run_once(tracker)
    facts = events(tracker, "fact.new")
    assert {f.data["key"] for f in facts} == {"ceasefire.duration_days", "ceasefire.scope"}
    assert {f.severity for f in facts} == {"flash"}
    assert sorted(m["title"].split(":")[0] for m in receiver.messages()) == [
        "[FLASH] Key fact",
        "[FLASH] Key fact",
        "[FLASH] Position",
    ]


def test_apprise_logs_never_carry_channel_secrets(config_dir, feeds, make_tracker, caplog):
    """A failing channel's error is recorded without the token its URL carries."""
    _feed(config_dir, feeds, item("g1", "Putin agrees to energy halt", PUTIN))
    token = "Zq8TopSecretToken42"
    _alerts(
        config_dir,
        channels=[{"id": "slackish", "url": f"json://user:{token}@127.0.0.1:9/{token}"}],
        routes=[{"match": {"types": ["statement.*"]}, "channels": ["slackish"]}],
    )
    tracker = make_tracker()
    run_once(tracker)
    (row,) = deliveries(tracker)
    assert row.last_error
    assert token not in row.last_error
    assert token not in caplog.text
