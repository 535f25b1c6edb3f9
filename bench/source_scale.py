"""One cycle over 10,000 sources served by nginx, through the production setup, against urlwatch.

The setup is the Procfile's: PostgreSQL, Redis as the broker, `python -m workers worker`
processes and one `python -m workers beat`. The feeds are static files under nginx, so ETags,
Last-Modified and 304s are real. After a warm-up cycle (every source polled once, validators
stored), 10% of the files get a changed item and every source is made due: that cycle is
measured (90% answer 304, 10% bring a new version, each stored and announced). A third cycle
with nothing changed measures the 304 path alone. Then urlwatch 2.29 runs twice over the
first 1,000 of the same pages (its second run is its conditional-GET path) and the ratio is
printed.

    python bench/source_scale.py [--sources 10000] [--workers 2] [--skip-urlwatch]

Figures: polls per second, CPU seconds per poll (all worker and beat processes), latency
from a batch's fetch to the commit of its events (p50/p99 over the events, from each
batch's fetch and record times in the workers' logs), peak RSS per worker process.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis
from sqlalchemy import Engine, create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (
    REDIS,
    group_peak_rss_mb,
    group_procs,
    nginx,
    postgres_database,
    stop_group,
    tracker_cmd,
    write_config,
    write_feed,
)

URLWATCH = Path(os.environ.get("URLWATCH_VENV", "/tmp/urlwatch-venv"))
REDIS_DB = 13
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _count(engine: Engine, sql: str, **params: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql), params).scalar_one())


def _cycle(engine: Engine, count: int, polls: int, timeout: float = 900) -> float:
    """Wait until every source has `polls` polls; return seconds from the first to the last."""
    deadline = time.monotonic() + timeout
    query = "SELECT count(*) FROM sources WHERE polls >= :n"
    while _count(engine, query, n=polls) == 0:
        if time.monotonic() > deadline:
            raise SystemExit(f"cycle {polls}: nothing polled in {timeout:g} s")
        time.sleep(0.01)
    started = time.monotonic()
    while (done := _count(engine, query, n=polls)) < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"cycle {polls}: {done}/{count} polled in {timeout:g} s")
        time.sleep(0.02)
    return time.monotonic() - started


def _group_cpu_seconds(pgid: int) -> float:
    """User + system CPU seconds of every live process in a process group."""
    total = 0
    for entry in group_procs(pgid):
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            continue
    return total / CLOCK_TICKS


def _batch_latencies(logs: list[Path], since: float) -> list[float]:
    """Fetch-to-commit seconds of each event logged after `since` (one entry per event)."""
    found: list[float] = []
    for log in logs:
        for line in log.read_text(errors="replace").splitlines():
            if '"batch polled"' not in line:
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            stamp = entry.get("timestamp", "")
            if stamp and _epoch(stamp) < since:
                continue
            latency = float(entry["fetch_seconds"]) + float(entry["record_seconds"])
            found += [latency] * int(entry.get("events", 0))
    return found


def _epoch(stamp: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(stamp).timestamp()


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def _start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "workers", *argv],
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )


def run_tracker(base: str, feeds: Path, count: int, workers: int, work: Path) -> dict[str, float]:
    """Warm-up, a 90/10 cycle and a 304-only cycle; return the figures."""
    config = work / "config"
    write_config(config, base, count)
    redis.Redis.from_url(f"{REDIS}/{REDIS_DB}").flushdb()
    figures: dict[str, float] = {}
    with postgres_database() as database_url:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
        env.update(
            TRACKER_DATABASE_URL=database_url,
            TRACKER_BROKER_URL=f"{REDIS}/{REDIS_DB}",
            TRACKER_QUEUE="bench-scale",
            TRACKER_CONFIG_DIR=str(config),
            TRACKER_DATA_DIR=str(work / "var"),
            TRACKER_TICK_SECONDS="0.5",
            TRACKER_LOG_LEVEL="INFO",
            TRACKER_LOG_FORMAT="json",
            TRACKER_ALLOWED_NETWORKS="127.0.0.0/8",
        )
        tracker_cmd("init", env=env)  # the Procfile's release step
        engine = create_engine(database_url)
        logs = [work / f"worker-{i}.log" for i in range(workers)]
        procs = [
            _start(
                ["worker", "--concurrency", "2", "--without-gossip", "--without-mingle"],
                env,
                log,
            )
            for log in logs
        ]
        procs.append(_start(["beat"], env, work / "beat.log"))
        try:
            warm = _cycle(engine, count, 1)
            figures["warm_polls_s"] = count / warm
            versions_before = _count(engine, "SELECT count(*) FROM statement_versions")
            changed = list(range(0, count, 10))  # 10%: a changed item each
            for i in changed:
                write_feed(feeds / f"f{i}.xml", i, generation=1)
            cpu_before = sum(_group_cpu_seconds(p.pid) for p in procs)
            marked = time.time()
            with engine.begin() as conn:
                conn.execute(text("UPDATE sources SET next_poll_at = '2000-01-01'"))
            mixed = _cycle(engine, count, 2)
            cpu_mixed = sum(_group_cpu_seconds(p.pid) for p in procs) - cpu_before
            versions_after = _count(engine, "SELECT count(*) FROM statement_versions")
            unchanged = _count(engine, "SELECT count(*) FROM sources WHERE last_status='unchanged'")
            figures.update(
                mixed_polls_s=count / mixed,
                mixed_seconds=mixed,
                cpu_per_poll_ms=cpu_mixed / count * 1000,
                new_versions=versions_after - versions_before,
                expected_versions=len(changed),
                answered_304=unchanged,
            )
            time.sleep(2)  # the last batches' log lines
            latencies = _batch_latencies(logs, marked)
            figures.update(
                events=len(latencies),
                p50_ms=_percentile(latencies, 0.5) * 1000,
                p99_ms=_percentile(latencies, 0.99) * 1000,
            )
            cpu_before = sum(_group_cpu_seconds(p.pid) for p in procs)
            with engine.begin() as conn:
                conn.execute(text("UPDATE sources SET next_poll_at = '2000-01-01'"))
            only_304 = _cycle(engine, count, 3)
            cpu_304 = sum(_group_cpu_seconds(p.pid) for p in procs) - cpu_before
            figures.update(polls_304_s=count / only_304, cpu_per_poll_304_ms=cpu_304 / count * 1000)
            peaks = [max(group_peak_rss_mb(p.pid) or [0.0]) for p in procs[:-1]]
            figures["peak_rss_mb"] = max(peaks)
        finally:
            for proc in procs:
                stop_group(proc)
            engine.dispose()
    return figures


def run_urlwatch(base: str, count: int, work: Path) -> tuple[float, float] | None:
    """urlwatch over the first `count` pages, twice; return pages/s of each run."""
    binary = URLWATCH / "bin" / "urlwatch"
    if not binary.exists():
        print(
            f"urlwatch: not found at {binary} (python -m venv {URLWATCH} && "
            f"{URLWATCH}/bin/pip install urlwatch==2.29); skipped"
        )
        return None
    here = work / "urlwatch"
    here.mkdir()
    jobs = "\n---\n".join(f'url: "{base}/f{i}.xml"' for i in range(count))
    (here / "urls.yaml").write_text(jobs + "\n")
    (here / "hooks.py").write_text("")
    argv = [
        str(binary),
        "--urls", str(here / "urls.yaml"),
        "--config", str(here / "urlwatch.yaml"),
        "--hooks", str(here / "hooks.py"),
        "--cache", str(here / "cache.db"),
    ]  # fmt: skip
    rates = []
    for _ in range(2):
        started = time.monotonic()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        rates.append(count / (time.monotonic() - started))
    return rates[0], rates[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2, help="worker processes (Procfile)")
    parser.add_argument("--urlwatch-pages", type=int, default=1000)
    parser.add_argument("--skip-urlwatch", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    feeds = work / "feeds"
    feeds.mkdir()
    for i in range(args.sources):
        write_feed(feeds / f"f{i}.xml", i, generation=0)
    print(
        f"{args.sources} feeds on nginx; Redis + PostgreSQL; {args.workers} worker process(es) "
        "x 2 pool processes and a beat, as in the Procfile"
    )
    try:
        with nginx(feeds) as base:
            f = run_tracker(base, feeds, args.sources, args.workers, work)
            uw = None if args.skip_urlwatch else run_urlwatch(base, args.urlwatch_pages, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    ok = lambda met: "met" if met else "NOT met"  # noqa: E731
    print(f"  warm-up cycle (every feed new):       {f['warm_polls_s']:,.0f} polls/s")
    print(
        f"  measured cycle (90% 304, 10% changed): {f['mixed_polls_s']:,.0f} polls/s "
        f"({f['mixed_seconds']:.1f} s; {f['answered_304']:.0f} answered 304; "
        f"{f['new_versions']:.0f}/{f['expected_versions']:.0f} new versions stored)"
    )
    print(f"  CPU per poll (all processes):          {f['cpu_per_poll_ms']:.2f} ms")
    print(
        f"  fetch -> committed event:              p50 {f['p50_ms']:,.0f} ms, "
        f"p99 {f['p99_ms']:,.0f} ms (over {f['events']:.0f} events)"
    )
    print(
        f"  304 path alone:                        {f['polls_304_s']:,.0f} polls/s, "
        f"{f['cpu_per_poll_304_ms']:.2f} ms CPU per poll  [target >= 1,000: "
        f"{ok(f['polls_304_s'] >= 1000)}]"
    )
    print(
        f"  peak RSS per worker process:           {f['peak_rss_mb']:.0f} MB  "
        f"[target <= 300 MB: {ok(f['peak_rss_mb'] <= 300)}]"
    )
    if f["new_versions"] < f["expected_versions"]:
        print("  WARNING: not every changed feed's new version was stored")
    if uw is not None:
        first, second = uw
        ratio = f["polls_304_s"] / second
        print(
            f"  urlwatch 2.29, first {args.urlwatch_pages} pages: {first:,.0f} pages/s, "
            f"then {second:,.0f} pages/s (conditional GET)"
        )
        print(
            f"  tracker / urlwatch on the conditional path: {ratio:.1f}x  "
            f"[target >= 3x: {ok(ratio >= 3)}]"
        )


if __name__ == "__main__":
    main()
