"""Real Celery workers on Redis, with beat, polling a real feed and alerting a real receiver."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.e2e.conftest import wait_until
from tests.integration.helpers import PUTIN, PUTIN_EDITED, json_channel
from tests.servers import item, rss
from tracker.storage.database import Database
from tracker.storage.models import DeliveryRow

pytestmark = pytest.mark.e2e


def _init(worker_env) -> None:
    subprocess.run(
        [sys.executable, "-c", "from tracker.cli import main; main()", "init"],
        env=worker_env,
        check=True,
        capture_output=True,
    )


def test_worker_polls_diffs_and_alerts_end_to_end(
    config_dir, feeds, receiver, worker_env, start_worker
):
    """beat → dispatch_due → poll_batch → deliver: a new statement alerts, then its edit does."""
    feeds.set("/wire.xml", rss(item("g1", "Putin agrees to energy halt", PUTIN)))
    config_dir.sources([config_dir.feed("wire", feeds.url("/wire.xml"), interval=10)])
    config_dir.alerts(
        channels=[json_channel(receiver.address)],
        routes=[{"match": {"types": ["statement.*"]}, "channels": ["desk"]}],
    )
    _init(worker_env)
    worker = start_worker()

    first = receiver.wait_for(1)
    assert [m["title"] for m in first] == ["New statement: Putin agrees to energy halt"], (
        worker.output()[-3000:]
    )

    feeds.set("/wire.xml", rss(item("g1", "Putin agrees to energy halt", PUTIN_EDITED)))
    messages = receiver.wait_for(2, timeout=40)
    assert [m["title"] for m in messages] == [
        "New statement: Putin agrees to energy halt",
        "Edited: Putin agrees to energy halt",
    ], worker.output()[-3000:]
    assert "but rejected a full ceasefire" in messages[1]["message"]
    assert feeds.hits("/wire.xml") >= 2


def test_two_workers_never_poll_or_alert_twice(
    config_dir, feeds, receiver, worker_env, start_worker, database_url
):
    """Two worker processes (one beat) over 40 sources: each item alerts exactly once."""
    sources = []
    for i in range(40):
        # Forty different stories: one story carried by forty sources would alert once.
        text = f"Statement {i}: Putin agreed to a {i + 1}-day halt on strikes on energy sites."
        feeds.set(f"/f{i}.xml", rss(item(f"g{i}", f"Kremlin statement {i}", text)))
        sources.append(config_dir.feed(f"f{i}", feeds.url(f"/f{i}.xml"), interval=3600))
    config_dir.sources(sources)
    config_dir.alerts(
        channels=[json_channel(receiver.address)],
        routes=[{"match": {"types": ["statement.*"]}, "channels": ["desk"]}],
    )
    _init(worker_env)
    start_worker(TRACKER_BATCH_SIZE="5")
    start_worker(beat=False, TRACKER_BATCH_SIZE="5")

    wait_until(lambda: len(receiver.messages()) >= 40, what="40 alerts")
    titles = [m["title"] for m in receiver.messages()]
    assert len(titles) == 40
    assert len(set(titles)) == 40
    assert all(feeds.hits(f"/f{i}.xml") == 1 for i in range(40))
    db = Database(database_url)
    try:

        def all_sent() -> bool:
            with db.reader() as uow:
                return all(d.status == "sent" for d in uow.session.query(DeliveryRow))

        # The receiver can hold the last alert a moment before its worker records it as sent.
        wait_until(all_sent, timeout=15, what="every delivery recorded as sent")
    finally:
        db.dispose()
