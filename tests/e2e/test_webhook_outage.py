"""A webhook receiver goes down while events keep coming: real workers retry, and after it comes
back every event arrives once, signed, in event order per subject, and nothing stays pending."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select, update
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.e2e.conftest import wait_until
from tests.integration.helpers import PUTIN, PUTIN_EDITED, WEATHER
from tests.servers import item, rss
from tracker.bootstrap import utcnow
from tracker.delivery.signing import new_secret
from tracker.storage.database import Database
from tracker.storage.models import DeliveryAttemptRow, DeliveryRow, EventRow, SourceRow

pytestmark = pytest.mark.e2e

SECRET = new_secret()
FAST_RETRIES = {
    # Standard Webhooks waits 5 s, then 5 min; here every retry comes a second after the last.
    "TRACKER_DELIVERY_RETRY_SCHEDULE": "0," + ",".join(["1"] * 120),
}

PUTIN_LATER = PUTIN_EDITED.replace("30-day", "60-day")
ZELENSKIY = (
    "Ukrainian President Volodymyr Zelenskiy said Kyiv supports a full 30-day ceasefire and "
    "will not cede any territory to Russia."
)
ZELENSKIY_LATER = ZELENSKIY + " He said Ukraine is ready to sign the agreement this week."


class _Listener:
    """One life of the receiver: a listening socket and the connections it accepted."""

    def __init__(self, owner: WebhookReceiver, port: int) -> None:
        self.conns: set[socket.socket] = set()
        self.busy: set[socket.socket] = set()
        self.down = False
        listener = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive: the workers pool their connections

            def do_POST(self) -> None:
                with owner.lock:
                    if listener.down:  # mid-shutdown: drop it unanswered, as a dying server does
                        owner.dropped += 1
                        self.close_connection = True
                        return
                    listener.busy.add(self.connection)
                try:
                    owner.handle(self)
                finally:
                    with owner.lock:
                        listener.busy.discard(self.connection)
                        if listener.down:
                            self.close_connection = True

            def log_message(self, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            allow_reuse_address = True
            request_queue_size = 128

            def process_request(self, request: Any, client_address: Any) -> None:
                with owner.lock:
                    listener.conns.add(request)
                super().process_request(request, client_address)

            def shutdown_request(self, request: Any) -> None:
                with owner.lock:
                    listener.conns.discard(request)
                super().shutdown_request(request)

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # connections cut by stop() are the point of the test

        self.httpd = Server(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self, lock: threading.Lock) -> None:
        """Stop accepting, cut idle keep-alive connections, close the listening socket.

        A request being answered right now is answered first, so no 2xx is lost in flight.
        """
        self.httpd.shutdown()
        with lock:
            self.down = True
            idle = self.conns - self.busy
        for conn in idle:
            with suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self.httpd.server_close()
        self.thread.join(5)


class WebhookReceiver:
    """A Standard Webhooks consumer on 127.0.0.1 that can go down and come back on its port.

    Each POST is verified with `standardwebhooks`; a good one is answered 204 and counted per
    webhook-id, in arrival order; a bad signature is answered 400 and counted apart.
    """

    def __init__(self, secret: str) -> None:
        self.verifier = Webhook(secret)
        self.lock = threading.Lock()
        self.ok: Counter[str] = Counter()  # 2xx receipts per webhook-id
        self.arrivals: list[dict[str, Any]] = []  # verified CloudEvents, in arrival order
        self.rejected: list[str] = []
        self.dropped = 0
        self.port = 0
        self._listener: _Listener | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> None:
        assert self._listener is None
        self._listener = _Listener(self, self.port)
        self.port = int(self._listener.httpd.server_address[1])

    def stop(self) -> None:
        if self._listener is not None:
            self._listener.close(self.lock)
            self._listener = None

    def refuses(self) -> bool:
        with socket.socket() as sock:
            sock.settimeout(1)
            return sock.connect_ex(("127.0.0.1", self.port)) != 0

    def handle(self, req: BaseHTTPRequestHandler) -> None:
        body = req.rfile.read(int(req.headers.get("Content-Length") or 0))
        headers = {k.lower(): v for k, v in req.headers.items()}
        try:
            event = self.verifier.verify(body, headers)
        except WebhookVerificationError as exc:
            with self.lock:
                self.rejected.append(f"{headers.get('webhook-id')}: {exc}")
            status = 400
        else:
            with self.lock:
                self.ok[headers["webhook-id"]] += 1
                self.arrivals.append({"webhook-id": headers["webhook-id"], **event})
            status = 204
        req.send_response(status)
        req.send_header("Content-Length", "0")
        req.end_headers()

    def received(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.arrivals)


@pytest.fixture
def hook_receiver():
    server = WebhookReceiver(SECRET)
    server.start()
    yield server
    server.stop()


def _init(env) -> None:
    subprocess.run(
        [sys.executable, "-c", "from tracker.cli import main; main()", "init"],
        env=env,
        check=True,
        capture_output=True,
    )


def _rows(url: str, model: Any, order: Any) -> list[Any]:
    db = Database(url)
    try:
        with db.reader() as uow:
            return list(uow.session.scalars(select(model).order_by(order)))
    finally:
        db.dispose()


def _polls(url: str) -> dict[str, int]:
    return {row.id: row.polls for row in _rows(url, SourceRow, SourceRow.id)}


def _poll_now(url: str, *source_ids: str) -> None:
    """Make sources due now (their interval is a minute) and wait until the workers polled them."""
    before = _polls(url)
    db = Database(url)
    try:
        with db.unit_of_work() as uow:
            uow.session.execute(
                update(SourceRow).where(SourceRow.id.in_(source_ids)).values(next_poll_at=utcnow())
            )
            uow.commit()
    finally:
        db.dispose()
    wait_until(
        lambda: all(_polls(url)[s] > before[s] for s in source_ids),
        timeout=20,
        what=f"a poll of {', '.join(source_ids)}",
    )


def _deliveries(url: str) -> list[DeliveryRow]:
    return _rows(url, DeliveryRow, DeliveryRow.id)


def test_a_receiver_outage_loses_nothing_duplicates_nothing_and_keeps_subject_order(
    config_dir, feeds, hook_receiver, worker_env, start_worker, database_url
):
    """Down for several seconds while two sources change twice; back on its port, it gets it all."""
    receiver = hook_receiver
    feeds.set("/kremlin.xml", rss(item("k1", "Putin agrees to energy halt", PUTIN)))
    feeds.set("/kyiv.xml", rss(item("w1", "Weather", WEATHER)))
    config_dir.sources(
        [
            config_dir.feed("kremlin", feeds.url("/kremlin.xml")),
            config_dir.feed("kyiv", feeds.url("/kyiv.xml")),
        ]
    )
    (config_dir.path / "alerts.yaml").write_text(
        json.dumps(
            {
                "channels": [],
                "routes": [],
                "webhooks": [{"id": "consumer", "url": receiver.url, "secret": SECRET}],
            }
        )
    )
    _init(worker_env)
    worker = start_worker(**FAST_RETRIES)

    def context() -> str:
        return worker.output()[-4000:]

    # 1. Up: the first poll's events arrive.
    wait_until(lambda: all(n >= 1 for n in _polls(database_url).values()), what="the first polls")
    wait_until(
        lambda: (ds := _deliveries(database_url)) and all(d.status == "sent" for d in ds),
        what="the first poll's deliveries",
    )
    before_outage = len(receiver.received())
    assert before_outage >= 2, context()

    # 2. Down: connections are refused; two more rounds of changes on both sources.
    receiver.stop()
    assert receiver.refuses()
    feeds.set("/kremlin.xml", rss(item("k1", "Putin agrees to energy halt", PUTIN_EDITED)))
    feeds.set(
        "/kyiv.xml",
        rss(item("w1", "Weather", WEATHER), item("z1", "Zelenskiy backs ceasefire", ZELENSKIY)),
    )
    _poll_now(database_url, "kremlin", "kyiv")
    wait_until(
        lambda: any(d.attempts >= 2 and d.status == "pending" for d in _deliveries(database_url)),
        what="a failed delivery retried",
    )
    feeds.set("/kremlin.xml", rss(item("k1", "Putin agrees to energy halt", PUTIN_LATER)))
    feeds.set(
        "/kyiv.xml",
        rss(
            item("w1", "Weather", WEATHER),
            item("z1", "Zelenskiy backs ceasefire", ZELENSKIY_LATER),
        ),
    )
    _poll_now(database_url, "kremlin", "kyiv")
    wait_until(
        lambda: any(d.attempts >= 4 for d in _deliveries(database_url)),
        what="several retries during the outage",
    )

    during = _deliveries(database_url)
    pending = [d for d in during if d.status == "pending"]
    assert len(receiver.received()) == before_outage  # nothing got through while down
    assert len({d.subject for d in pending}) >= 2, context()
    assert all(d.last_error for d in pending if d.attempts), context()
    # A later event of a subject waits, unattempted, behind an earlier one that keeps failing.
    waiting = [
        d
        for d in pending
        if d.attempts == 0
        and any(
            e.subject == d.subject and e.event_seq < d.event_seq and e.attempts for e in pending
        )
    ]
    assert waiting, [(d.subject, d.event_seq, d.attempts) for d in pending]

    # 3. Back on the same port: everything drains.
    receiver.start()
    assert not receiver.refuses()
    wait_until(
        lambda: all(d.status != "pending" for d in _deliveries(database_url)),
        timeout=30,
        what="the backlog to drain",
    )
    time.sleep(1.5)  # a duplicate would show up within a relay tick or two

    events = _rows(database_url, EventRow, EventRow.seq)
    deliveries = _deliveries(database_url)
    arrivals = receiver.received()
    ids = [e.id for e in events]

    assert receiver.rejected == []
    assert {d.status for d in deliveries} == {"sent"}, context()
    assert sorted(d.event_id for d in deliveries) == sorted(ids)  # one delivery per event
    # Every event arrived, each webhook-id exactly once.
    assert set(receiver.ok) == set(ids)
    assert [i for i, n in receiver.ok.items() if n != 1] == []
    for arrival in arrivals:
        assert arrival["webhook-id"] == arrival["id"]
    # In each subject, in the order the events were stored.
    by_subject: dict[str, list[str]] = {}
    for event in events:
        by_subject.setdefault(event.subject, []).append(event.id)
    arrived: dict[str, list[str]] = {}
    for arrival in arrivals:
        arrived.setdefault(arrival["subject"], []).append(arrival["id"])
    assert arrived == by_subject
    assert sum(len(v) >= 2 for v in by_subject.values()) >= 2  # several subjects had a sequence
    # The outage is on record: refused attempts, then the one that went through.
    attempts = _rows(database_url, DeliveryAttemptRow, DeliveryAttemptRow.id)
    failed = [a for a in attempts if a.outcome == "failed"]
    assert failed
    assert all(a.status_code is None for a in failed)  # refused, never answered
    assert len([a for a in attempts if a.outcome == "sent"]) == len(ids)
