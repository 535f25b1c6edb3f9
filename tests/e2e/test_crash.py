"""Crash safety: SIGKILL the worker mid-poll and mid-delivery, restart it, and nothing is lost."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.e2e.conftest import wait_until
from tests.integration.helpers import PUTIN, json_channel
from tests.servers import Gate, item, rss
from tracker.storage.database import Database
from tracker.storage.models import DeliveryRow, EventRow

pytestmark = pytest.mark.e2e

# Short leases so a crashed worker's claims run out within seconds, as they would in minutes.
FAST_LEASES = {
    "TRACKER_LEASE_SECONDS": "6",
    "TRACKER_POLL_TIME_LIMIT": "5",
    "TRACKER_FETCH_TOTAL_TIMEOUT": "4",
    "TRACKER_FETCH_READ_TIMEOUT": "4",
    "TRACKER_DELIVERY_LEASE_SECONDS": "6",
    "TRACKER_DELIVERY_TIME_LIMIT": "5",
    "TRACKER_QUEUE_LEASE_SECONDS": "3",
}


def _init(env) -> None:
    subprocess.run(
        [sys.executable, "-c", "from tracker.cli import main; main()", "init"],
        env=env,
        check=True,
        capture_output=True,
    )


def _rows(url, model):
    db = Database(url)
    with db.reader() as uow:
        rows = list(uow.session.query(model))
    db.dispose()
    return rows


def test_killed_mid_poll_the_poll_is_redone_and_alerts_once(
    config_dir, feeds, receiver, worker_env, start_worker, database_url
):
    """A worker SIGKILLed while fetching leaves nothing half-written; after restart the alert arrives once."""
    gate = Gate()
    feeds.set("/wire.xml", rss(item("g1", "Putin agrees to energy halt", PUTIN)), gate=gate)
    config_dir.sources([config_dir.feed("wire", feeds.url("/wire.xml"))])
    config_dir.alerts(
        channels=[json_channel(receiver.address)],
        routes=[{"match": {"types": ["statement.*"]}, "channels": ["desk"]}],
    )
    _init(worker_env)
    first = start_worker(**FAST_LEASES)
    assert gate.arrived.wait(40), first.output()[-3000:]

    first.kill()
    gate.release.set()
    assert _rows(database_url, EventRow) == []  # nothing half-written
    second = start_worker(**FAST_LEASES)

    messages = receiver.wait_for(1, timeout=45)
    assert [m["title"] for m in messages] == ["New statement: Putin agrees to energy halt"], (
        second.output()[-3000:]
    )
    wait_until(lambda: feeds.hits("/wire.xml") >= 2, what="the re-poll")
    assert len([e for e in _rows(database_url, EventRow) if e.type.startswith("statement.")]) == 1
    assert len(receiver.messages()) == 1


def test_killed_mid_delivery_every_alert_still_arrives(
    config_dir, feeds, receiver, worker_env, start_worker, database_url
):
    """A worker SIGKILLed while sending an alert: after restart all three alerts arrive and are recorded sent."""
    receiver.gate = Gate()
    titles = {f"Kremlin statement {i}" for i in range(3)}
    feeds.set("/wire.xml", rss(*(item(f"g{i}", f"Kremlin statement {i}", PUTIN) for i in range(3))))
    config_dir.sources([config_dir.feed("wire", feeds.url("/wire.xml"))])
    config_dir.alerts(
        channels=[json_channel(receiver.address)],
        routes=[{"match": {"types": ["statement.*"]}, "channels": ["desk"]}],
    )
    _init(worker_env)
    first = start_worker(**FAST_LEASES)
    assert receiver.gate.arrived.wait(40), first.output()[-3000:]

    first.kill()
    receiver.gate.release.set()
    second = start_worker(**FAST_LEASES)

    wait_until(
        lambda: {m["title"].removeprefix("New statement: ") for m in receiver.messages()} == titles,
        timeout=60,
        what="all three alerts",
    )
    wait_until(
        lambda: all(d.status == "sent" for d in _rows(database_url, DeliveryRow)), what="all sent"
    )
    deliveries = _rows(database_url, DeliveryRow)
    assert len(deliveries) == 3, second.output()[-3000:]
    assert len([e for e in _rows(database_url, EventRow) if e.type.startswith("statement.")]) == 3
