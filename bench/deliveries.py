"""Webhook deliveries through real worker processes: deliveries/s, and commit-to-receipt latency.

PostgreSQL + Redis, worker processes (`--concurrency 2` each) and one beat, as the Procfile
runs them, POST signed CloudEvents to a local receiver (asyncio, in its own process, answers
204 and notes when each webhook-id arrived). Events are written with the tracker's own
outbox (`emit` in a unit of work, as a poll batch writes them) and their deliveries are
enqueued right after the commit, as `poll_batch` does.

Two measurements:
- idle latency: events one at a time with a pause; from just after the commit to receipt;
- throughput: N events written at once; from the first enqueue to the last receipt.

    python bench/deliveries.py [--events 2000] [--idle-events 300] [--pause 0.1] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import Counter
from pathlib import Path

import yaml
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (
    REDIS,
    RELEVANT,
    ROOT,
    free_port,
    postgres_database,
    stop_group,
    tracker_cmd,
)

TARGET_P99_MS = 500.0
SECRET = "whsec_" + "YmVuY2gtc2VjcmV0LWJlbmNoLXNlY3JldA=="  # fixed: a benchmark, not a secret


# --- the receiver (its own process, so it does not share a GIL with the producer) ----------


async def _serve(port: int) -> None:
    arrivals: list[tuple[str, float]] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                at = time.time()
                lines = head.decode("latin-1").split("\r\n")
                method, target = lines[0].split(" ")[:2]
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length") or 0)
                if length:
                    await reader.readexactly(length)
                    at = time.time()  # received: the whole body is in
                if method == "POST":
                    arrivals.append((headers.get("webhook-id", ""), at))
                    writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
                else:  # GET /arrivals?since=K: what came in since the K-th arrival
                    since = int(target.partition("since=")[2] or 0)
                    body = json.dumps(arrivals[since:]).encode()
                    writer.write(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        + f"Content-Length: {len(body)}\r\n\r\n".encode()
                        + body
                    )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


def _receiver_main(port: int) -> None:
    asyncio.run(_serve(port))


class Receiver:
    """The receiver process and a client for what it recorded."""

    def __init__(self) -> None:
        self.port = free_port()
        ctx = multiprocessing.get_context("spawn")
        self.proc = ctx.Process(target=_receiver_main, args=(self.port,), daemon=True)
        self.proc.start()
        self.seen: list[tuple[str, float]] = []
        deadline = time.monotonic() + 10
        while True:
            try:
                self.poll()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def poll(self) -> list[tuple[str, float]]:
        """Fetch the arrivals not seen yet; return every arrival so far."""
        url = f"http://127.0.0.1:{self.port}/arrivals?since={len(self.seen)}"
        with urllib.request.urlopen(url, timeout=10) as response:
            self.seen += [(i, float(t)) for i, t in json.loads(response.read())]
        return self.seen

    def close(self) -> None:
        self.proc.terminate()
        self.proc.join(5)


# --- the tracker side ----------------------------------------------------------------------


class Producer:
    """Writes events through the tracker's outbox and enqueues their deliveries after commit."""

    def __init__(self, env: dict[str, str]) -> None:
        for name in [n for n in os.environ if n.startswith("TRACKER_")]:
            del os.environ[name]
        os.environ.update(env)  # load_settings reads TRACKER_* from the environment
        from tracker.bootstrap import bootstrap
        from tracker.settings import load_settings
        from workers.app import create_app

        self.tracker = bootstrap(load_settings())
        self.app = create_app(self.tracker)
        self.deliver = self.app.tasks["tracker.deliver"]
        self.run = uuid.uuid4().hex[:6]
        self.count = 0

    def _event(self):
        from tracker.bootstrap import utcnow
        from tracker.domain.events import Event, Severity

        self.count += 1
        n = self.count
        return Event(
            type="statement.new",
            source_id="bench",
            subject=f"statements/bench-{self.run}-{n}",
            time=utcnow(),
            data={
                "statement": {
                    "id": n,
                    "key": f"urn:bench:{n}",
                    "url": f"http://example.org/bench/{n}",
                    "title": f"Bench statement {n}",
                    "text": RELEVANT,
                    "truncated": False,
                    "version": 1,
                },
                "source": {"id": "bench", "name": "Bench wire"},
                "topics": ["ukraine-ceasefire"],
            },
            severity=Severity.ROUTINE,
            topics=("ukraine-ceasefire",),
        )

    def write(self, count: int) -> tuple[str, list[tuple[int, str]], list[str]]:
        """Commit `count` events in one unit of work; return (token, [(delivery id, event id)], event ids)."""
        from tracker.bootstrap import utcnow
        from tracker.services.dispatch import new_token
        from tracker.services.outbox import emit

        token = new_token("q")
        events = [self._event() for _ in range(count)]
        with self.tracker.db.unit_of_work() as uow:
            due = emit(uow, self.tracker.runtime(), events, utcnow(), queued_by=token)
            uow.commit()
        return token, [(d.id, d.event_id) for d in due], [e.id for e in events]

    def enqueue(self, token: str, due: list[tuple[int, str]]) -> None:
        for delivery_id, _ in due:
            self.deliver.apply_async((delivery_id, token))

    def delivery_statuses(self) -> dict[str, int]:
        from tracker.storage.models import DeliveryRow

        with self.tracker.db.reader() as uow:
            rows = uow.session.execute(
                select(DeliveryRow.status, func.count()).group_by(DeliveryRow.status)
            )
            return {status: int(n) for status, n in rows}

    def close(self) -> None:
        self.tracker.close()


def _wait_for(receiver: Receiver, ids: set[str], timeout: float) -> dict[str, list[float]]:
    """Wait until every id arrived; return each id's receipt times (more than one: a duplicate)."""
    deadline = time.monotonic() + timeout
    while True:
        got: dict[str, list[float]] = {}
        for i, at in receiver.poll():
            if i in ids:
                got.setdefault(i, []).append(at)
        if len(got) == len(ids):
            return got
        if time.monotonic() > deadline:
            raise SystemExit(f"only {len(got)}/{len(ids)} deliveries arrived in {timeout:g} s")
        time.sleep(0.05)


def _percentile(values: list[float], q: float) -> float:
    """The nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def _start(env: dict[str, str], workers: int, work: Path) -> list[subprocess.Popen[bytes]]:
    """The Procfile's processes: `workers beat` once, `workers worker --concurrency 2` N times."""
    commands = [[sys.executable, "-m", "workers", "beat", "--loglevel", "WARNING"]]
    commands += [
        [
            sys.executable,
            "-m",
            "workers",
            "worker",
            "--concurrency",
            "2",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "WARNING",
        ]
    ] * workers
    return [
        subprocess.Popen(
            argv,
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=(work / f"proc-{i}.log").open("wb"),
        )
        for i, argv in enumerate(commands)
    ]


def _forget_queue(broker_url: str, queue: str) -> None:
    """Remove this run's queue and its bindings from Redis (each run has a queue of its own)."""
    import redis

    client = redis.Redis.from_url(broker_url)
    try:
        client.delete(queue, *client.keys(f"_kombu.binding*.{queue}"))
    finally:
        client.close()


def run(args: argparse.Namespace, work: Path, receiver: Receiver, database_url: str) -> None:
    config = work / "config"
    (config / "topics").mkdir(parents=True)
    for topic in (ROOT / "config" / "topics").glob("*.yaml"):
        (config / "topics" / topic.name).write_bytes(topic.read_bytes())
    (config / "sources.yaml").write_text("sources: []\n")
    (config / "alerts.yaml").write_text(
        yaml.safe_dump(
            {
                "channels": [],
                "routes": [],
                "webhooks": [{"id": "bench", "url": receiver.url, "secret": SECRET}],
            }
        )
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env.update(
        TRACKER_DATABASE_URL=database_url,
        TRACKER_BROKER_URL=f"{REDIS}/13",
        TRACKER_QUEUE=f"bench-deliveries-{uuid.uuid4().hex[:8]}",
        TRACKER_CONFIG_DIR=str(config),
        TRACKER_DATA_DIR=str(work / "var"),
        TRACKER_LOG_LEVEL="WARNING",
        TRACKER_ALLOWED_NETWORKS="127.0.0.0/8",
    )
    tracker_cmd("init", env=env)
    procs = _start(env, args.workers, work)
    producer = Producer(env)
    try:
        # Warm-up: every pool process connects to the database, the broker and the receiver.
        token, due, ids = producer.write(8 * args.workers)
        producer.enqueue(token, due)
        _wait_for(receiver, set(ids), timeout=60)

        # Idle: one event at a time; the clock starts just after its commit.
        committed: dict[str, float] = {}
        for _ in range(args.idle_events):
            token, due, ids = producer.write(1)
            committed[ids[0]] = time.time()
            producer.enqueue(token, due)
            time.sleep(args.pause)
        idle = _wait_for(receiver, set(committed), timeout=60)
        latencies = [(idle[i][0] - committed[i]) * 1000 for i in committed]

        # Throughput: N events in batches of 100 (a poll batch's size), enqueued after each commit.
        started = time.time()
        ids_all: list[str] = []
        written_at: dict[str, float] = {}
        while len(ids_all) < args.events:
            token, due, ids = producer.write(min(100, args.events - len(ids_all)))
            now = time.time()
            written_at.update(dict.fromkeys(ids, now))
            producer.enqueue(token, due)
            ids_all += ids
        enqueued = time.time()
        bulk = _wait_for(receiver, set(ids_all), timeout=600)
        last = max(times[0] for times in bulk.values())
        first = min(times[0] for times in bulk.values())
        loaded = [(bulk[i][0] - written_at[i]) * 1000 for i in ids_all]
        time.sleep(1.0)  # a late duplicate would show up here
        receipts = Counter(i for i, _ in receiver.poll())
        dupes = sum(n - 1 for n in receipts.values())
        statuses = producer.delivery_statuses()
    finally:
        producer.close()
        for proc in procs:
            stop_group(proc)
        _forget_queue(env["TRACKER_BROKER_URL"], env["TRACKER_QUEUE"])

    seconds = last - started
    rate = args.events / seconds
    p50, p90, p99 = (_percentile(latencies, q) for q in (50, 90, 99))
    verdict = "met" if p99 < TARGET_P99_MS else "MISSED"
    print(
        f"webhook deliveries, PostgreSQL + Redis: {args.workers} worker process(es) x 2 pool "
        f"processes + beat; receiver: asyncio on 127.0.0.1 answering 204"
    )
    print(
        f"  throughput: {args.events} deliveries in {seconds:.2f} s = {rate:,.0f} deliveries/s "
        f"(first write to last receipt; written and enqueued in {enqueued - started:.2f} s; "
        f"first to last receipt {last - first:.2f} s = {args.events / (last - first):,.0f}/s)"
    )
    print(
        f"  latency under that load, commit -> receipt: p50 {_percentile(loaded, 50):,.0f} ms, "
        f"p99 {_percentile(loaded, 99):,.0f} ms"
    )
    print(
        f"  idle latency, commit -> receipt ({args.idle_events} events, {args.pause:g} s apart): "
        f"p50 {p50:.1f} ms, p90 {p90:.1f} ms, p99 {p99:.1f} ms, max {max(latencies):.1f} ms, "
        f"mean {statistics.fmean(latencies):.1f} ms"
    )
    print(f"  target: p99 under {TARGET_P99_MS:.0f} ms when idle: {verdict} (p99 {p99:.1f} ms)")
    print(
        f"  deliveries in the database: {statuses}; {len(receipts)} webhook-ids received, "
        f"{dupes} duplicate receipt(s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000, help="events for the throughput run")
    parser.add_argument("--idle-events", type=int, default=300, help="events for the idle run")
    parser.add_argument("--pause", type=float, default=0.1, help="seconds between idle events")
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-deliveries-"))
    receiver = Receiver()
    try:
        with postgres_database() as database_url:
            run(args, work, receiver, database_url)
    finally:
        receiver.close()


if __name__ == "__main__":
    main()
