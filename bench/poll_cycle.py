"""One poll cycle over N local feeds, through real worker processes: polls/s and peak memory.

Two setups: the embedded default (SQLite + the file-based broker, one worker with beat, as
`tracker run`) and production (PostgreSQL + Redis, workers as in the Procfile). Each runs
two cycles: the first with new content everywhere (every item stored, relevant ones
announced), the second on the conditional-GET path (every feed answers 304).

    python bench/poll_cycle.py [--sources 1000] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (
    REDIS,
    group_peak_rss_mb,
    nginx,
    postgres_database,
    stop_group,
    tracker_cmd,
    write_config,
    write_feed,
)


def _polled(engine, at_least: int) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text("SELECT count(*) FROM sources WHERE polls >= :n"), {"n": at_least}
            ).scalar_one()
        )


def _wait_cycle(engine, count: int, cycle: int, timeout: float) -> tuple[int, float]:
    """Return (polls counted, seconds) from the first poll seen to the last of the cycle.

    The clock starts when the first poll of the cycle is committed, so worker start-up and
    the wait for the first beat tick are not counted; the polls before that are not counted
    either.
    """
    deadline = time.monotonic() + timeout
    while (first := _polled(engine, cycle)) == 0:
        if time.monotonic() > deadline:
            raise SystemExit(f"cycle {cycle}: nothing polled in {timeout:g} s")
        time.sleep(0.01)
    started = time.monotonic()
    while _polled(engine, cycle) < count:
        if time.monotonic() > deadline:
            raise SystemExit(
                f"cycle {cycle}: only {_polled(engine, cycle)}/{count} polled in {timeout:g} s"
            )
        time.sleep(0.02)
    return count - first, time.monotonic() - started


def run_setup(
    slug: str,
    name: str,
    database_url: str,
    broker_url: str | None,
    base: str,
    count: int,
    workers: int,
    work: Path,
) -> None:
    config = work / f"config-{slug}"
    write_config(config, base, count)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env.update(
        TRACKER_DATABASE_URL=database_url,
        TRACKER_CONFIG_DIR=str(config),
        TRACKER_DATA_DIR=str(work / f"var-{slug}"),
        TRACKER_TICK_SECONDS="0.2",
        TRACKER_LOG_LEVEL="WARNING",
        TRACKER_ALLOWED_NETWORKS="127.0.0.0/8",
    )
    if broker_url:
        env["TRACKER_BROKER_URL"] = broker_url
        env["TRACKER_QUEUE"] = f"bench-{slug}"
    tracker_cmd("init", env=env)
    engine = create_engine(database_url)
    procs = []
    for i in range(workers):
        argv = [
            sys.executable,
            "-m",
            "workers",
            "worker",
            "--concurrency",
            "2",
            "--without-mingle",
            "--without-gossip",
            "--loglevel",
            "WARNING",
        ]
        if i == 0:
            argv.append("--beat")
        procs.append(
            subprocess.Popen(
                argv,
                env=env,
                start_new_session=True,
                stdout=subprocess.DEVNULL,
                stderr=(work / f"{slug}-{i}.log").open("wb"),
            )
        )
    try:
        first_n, first = _wait_cycle(engine, count, 1, 600)
        with engine.begin() as conn:
            conn.execute(text("UPDATE sources SET next_poll_at = :t"), {"t": "2000-01-01 00:00:00"})
        second_n, second = _wait_cycle(engine, count, 2, 600)
        with engine.connect() as conn:
            statements = conn.execute(text("SELECT count(*) FROM statements")).scalar_one()
            events = conn.execute(text("SELECT count(*) FROM events")).scalar_one()
            unchanged = conn.execute(
                text("SELECT count(*) FROM sources WHERE last_status = 'unchanged'")
            ).scalar_one()
        peaks = [max(group_peak_rss_mb(p.pid) or [0.0]) for p in procs]
    finally:
        for proc in procs:
            stop_group(proc)
        engine.dispose()
    print(f"{name}: {workers} worker process(es) x 2 pool processes")
    print(
        f"  cycle 1 (new content): {first_n} polls in {first:.2f} s = {first_n / first:,.0f} polls/s "
        f"({statements} statements, {events} events stored)"
    )
    print(
        f"  cycle 2 (304 path):    {second_n} polls in {second:.2f} s = {second_n / second:,.0f} polls/s "
        f"({unchanged} answered 304)"
    )
    print(
        f"  peak RSS per worker process (largest of its pool): {', '.join(f'{p:.0f} MB' for p in peaks)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=1000)
    parser.add_argument(
        "--workers", type=int, default=2, help="worker processes for Redis+PostgreSQL"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-poll-"))
    feeds = work / "feeds"
    feeds.mkdir()
    for i in range(args.sources):
        write_feed(feeds / f"f{i}.xml", i, generation=0)
    print(
        f"poll cycle over {args.sources} local feeds (nginx, 10 items each, 1 in 10 about the topic)"
    )
    with nginx(feeds) as base:
        run_setup(
            "embedded",
            "embedded (SQLite + file broker)",
            f"sqlite:///{work / 'embedded.db'}",
            None,
            base,
            args.sources,
            1,
            work,
        )
        with postgres_database() as pg:
            run_setup(
                "production",
                "production (PostgreSQL + Redis)",
                pg,
                f"{REDIS}/14",
                base,
                args.sources,
                args.workers,
                work,
            )


if __name__ == "__main__":
    main()
