"""One poll cycle over 10,000 sources served by nginx, through the Procfile's processes, against urlwatch.

Issue 3's benchmark. The setup is the Procfile's: its `release` step, N `worker` processes
and one `beat`, on PostgreSQL (a fresh database, dropped at the end) and Redis (db 0, a queue
of its own). The feeds are static RSS files under nginx (etag on), so ETags, Last-Modified and
304s are real; one item in ten of them matches the topic's relevance terms.

1. Warm-up: every source polled once (every item new; validators stored).
2. 10% of the files get a changed item (new mtime, so a new ETag); every source is made due;
   that cycle is measured: 90% answer 304, 10% bring a new version, stored and announced.
   Every changed source must have stored its new version, and no other source a version.
3. Every source made due again, nothing changed: the 304 path alone, over all sources.
4. The first `--urlwatch-pages` sources made due again: the 304 path on urlwatch's pages.
5. urlwatch 2.29 (its own venv, installed if missing) twice over the same first pages; its
   second run is its conditional-GET path (a third, verbose run counts its 304s).

Between 1 and 2, five idle seconds (nothing due) measure what the beat's ticks alone cost.

    python bench/source_scale.py [--sources 10000] [--workers 2] [--tick 0.5] [--skip-urlwatch]

The tick is 0.5 s, not the default 5 s: the dispatcher leases at most batch size x batches
per tick (100 x 50) each tick, so the default caps any setup at 1,000 polls/s, and a cycle
would mostly measure the wait for the next tick.

Figures: polls/s (from the moment the sources are made due to the last poll committed);
CPU seconds per poll of the worker and beat processes (from /proc, with PostgreSQL, Redis,
nginx and the rest of the machine beside them); latency from a batch's fetch to the commit
of its events, and from "made due" to that commit (the tables hold no fetch time: these
come from each batch's `batch polled` log line, written after its commit, with its fetch
and record seconds); peak RSS (VmHWM) of each worker process.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import redis
from sqlalchemy import Engine, create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (
    FILLER,
    REDIS,
    RELEVANT,
    ROOT,
    group_peak_rss_mb,
    nginx,
    postgres_database,
    stop_group,
    urlwatch_argv,
    write_config,
    write_feed,
)
from tracker.config.loader import load_config
from tracker.domain.topics import relevant_topics

URLWATCH = Path(os.environ.get("URLWATCH_VENV", "/tmp/urlwatch-venv"))
URLWATCH_VERSION = "2.29"
# The e2e tests flush a Redis db picked from 1-15 at random, and other benches use 13 and 14:
# a flush mid-cycle loses the queued batches for a lease's length (300 s). Nothing here uses
# db 0; the queue is this run's own, so a concurrent run cannot take its messages either.
REDIS_DB = int(os.environ.get("BENCH_REDIS_DB", "0"))
TICKS = os.sysconf("SC_CLK_TCK")
CORES = os.cpu_count() or 1
SERVICES = {"postgres": "postgres", "redis": "redis-server", "nginx": "nginx"}  # role: comm
ROLES = ("worker", "beat", *SERVICES, "other")
IDLE_SECONDS = 5.0


# -- processes: the Procfile, CPU time, peak memory -------------------------------------------


def procfile(role: str, env: dict[str, str]) -> list[str]:
    """Return the argv of a Procfile process, its ${VAR:-default}s expanded from `env`."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        name, sep, command = line.partition(":")
        if sep and name.strip() == role:
            command = re.sub(
                r"\$\{(\w+)(?::-([^}]*))?\}", lambda m: env.get(m[1]) or m[2] or "", command
            )
            argv = shlex.split(command)
            if argv[0] == "python":
                argv[0] = sys.executable
            elif argv[0] == "tracker":
                argv[:1] = [sys.executable, "-c", "from tracker.cli import main; main()"]
            return argv
    raise SystemExit(f"Procfile: no {role!r} process")


def _machine_busy() -> float:
    """CPU seconds the whole machine has spent busy since boot (every core)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / TICKS


def cpu_snapshot(groups: dict[str, list[int]]) -> dict[str, float]:
    """CPU seconds so far of each role: our process groups, the services by name, the machine.

    Each process counts its own time and its reaped children's, so a process that exits
    between two snapshots is still counted (in its parent's).
    """
    role_of = {pgid: role for role, pgids in groups.items() for pgid in pgids}
    service_of = {comm: role for role, comm in SERVICES.items()}
    totals = dict.fromkeys(ROLES, 0.0)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        role = role_of.get(int(fields[2])) or service_of.get(comm)  # fields[2]: process group
        if role is not None:
            totals[role] += sum(int(x) for x in fields[11:15]) / TICKS  # u, s, cu, cs time
    ours = sum(totals.values()) + sum(os.times()[:4])  # this script and what it waited for
    totals["other"] = _machine_busy() - ours
    return totals


def _start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        argv, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=log.open("wb")
    )


# -- cycles -------------------------------------------------------------------------------------


@dataclass
class Cycle:
    """One measured cycle: polls, seconds, CPU seconds by role, and its wall-clock window."""

    polls: int
    seconds: float  # from making the sources due to the last poll committed
    active: float  # from the first poll committed to the last
    cpu: dict[str, float]
    since: float  # epoch seconds: made due (or, for the warm-up, the start)
    until: float

    @property
    def rate(self) -> float:
        return self.polls / self.seconds

    def cpu_ms(self, *roles: str) -> float:
        return sum(self.cpu[r] for r in roles) / self.polls * 1000


def _scalar(engine: Engine, sql: str, **params: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql), params).scalar_one() or 0)


def cycle(
    engine: Engine,
    groups: dict[str, list[int]],
    polls: int,
    upto: str,
    *,
    make_due: bool = True,
    timeout: float = 1200,
) -> Cycle:
    """Make the sources with ids below `upto` due (unless warming up) and wait until each has
    `polls` polls."""
    expected = _scalar(engine, "SELECT count(*) FROM sources WHERE id < :upto", upto=upto)
    before = cpu_snapshot(groups)
    if make_due:
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE sources SET next_poll_at = '2000-01-01' WHERE id < :upto"),
                {"upto": upto},
            )
    since, marked, first = time.time(), time.monotonic(), None
    query = "SELECT count(*) FROM sources WHERE id < :upto AND polls >= :n"
    pause = 0.02 if expected <= 2000 else 0.1  # each look costs PostgreSQL a scan of the table
    while (done := _scalar(engine, query, upto=upto, n=polls)) < expected:
        now = time.monotonic()
        if done and first is None:
            first = now
        if now - marked > timeout:
            raise SystemExit(f"cycle {polls}: {done}/{expected} polled in {timeout:g} s")
        time.sleep(pause)
    ended = time.monotonic()
    after = cpu_snapshot(groups)
    until = time.time() + 0.1  # the last batch's log line follows its commit
    time.sleep(0.2)  # and the next cycle starts after it
    first = first or ended
    seconds = ended - marked if make_due else ended - first
    cpu = {role: after[role] - before[role] for role in ROLES}
    return Cycle(expected, seconds, ended - first, cpu, since, until)


def _batches(logs: list[Path], window: Cycle) -> list[dict[str, float]]:
    """The `batch polled` log lines of the workers written within a cycle, with `at` (epoch)."""
    found = []
    for log in logs:
        for line in log.read_text(errors="replace").splitlines():
            if '"batch polled"' not in line:
                continue
            try:
                entry = json.loads(line)
                at = datetime.fromisoformat(entry["timestamp"]).timestamp()
            except (ValueError, KeyError):
                continue
            if window.since <= at <= window.until:
                found.append({**entry, "at": at})
    return found


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def latencies(batches: list[dict[str, float]], since: float) -> dict[str, float]:
    """p50/p99 per event of fetch -> commit and of made due -> commit."""
    fetch, due = [], []
    for b in batches:
        fetch += [b["fetch_seconds"] + b["record_seconds"]] * int(b["events"])
        due += [b["at"] - since] * int(b["events"])
    return {
        "events": len(fetch),
        "fetch_p50": _percentile(fetch, 0.5),
        "fetch_p99": _percentile(fetch, 0.99),
        "due_p50": _percentile(due, 0.5),
        "due_p99": _percentile(due, 0.99),
    }


def batch_profile(batches: list[dict[str, float]]) -> str:
    """Batches, their mean size, and the mean fetch and record seconds of one."""
    if not batches:
        return "no batch lines logged"
    n = len(batches)
    size = sum(b["sources"] for b in batches) / n
    fetch = sum(b["fetch_seconds"] for b in batches) / n
    record = sum(b["record_seconds"] for b in batches) / n
    return (
        f"{n} batches of {size:.0f}: fetch+parse {fetch * 1000:.0f} ms, "
        f"record+commit {record * 1000:.0f} ms a batch "
        f"({fetch / size * 1000:.2f} + {record / size * 1000:.2f} ms a source, wall)"
    )


# -- the tracker --------------------------------------------------------------------------------

VERSIONS_BY_SOURCE = (
    "SELECT s.source_id, count(*) FROM statement_versions v "
    "JOIN statements s ON s.id = v.statement_id GROUP BY s.source_id"
)


def _versions(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {sid: int(n) for sid, n in conn.execute(text(VERSIONS_BY_SOURCE))}


def _check_topic(config: Path) -> list[str]:
    """The relevant items match the topic file's terms and the filler does not."""
    topics = load_config(config).topics
    matched = relevant_topics(topics, RELEVANT)
    if not matched or relevant_topics(topics, FILLER):
        raise SystemExit("the generated items do not split by the topic's relevance terms")
    return next(iter(matched.values()))


@dataclass
class TrackerRun:
    warm: Cycle
    idle: dict[str, float]  # CPU seconds a second by role, with nothing due
    mixed: Cycle
    only_304: Cycle
    subset: Cycle
    mixed_batches: list[dict[str, float]]
    batches_304: list[dict[str, float]]
    answered_304: int
    changed: int
    versions_ok: int  # changed sources that stored their new version
    versions_stray: int  # unchanged sources that stored a version anyway
    new_events: dict[str, int]
    rss: list[list[float]]  # per worker: each process's peak RSS in MB
    commands: list[str]


def run_tracker(
    base: str, feeds: Path, count: int, subset: int, workers: int, tick: float, work: Path
) -> TrackerRun:
    config = work / "config"
    write_config(config, base, count)
    print(f"relevant items match the topic's terms: {', '.join(_check_topic(config))}")
    broker, queue = f"{REDIS}/{REDIS_DB}", f"bench-scale-{os.getpid()}"
    with postgres_database(f"bench_scale_{os.getpid()}") as database_url:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
        env.update(
            TRACKER_DATABASE_URL=database_url,
            TRACKER_BROKER_URL=broker,
            TRACKER_QUEUE=queue,
            TRACKER_CONFIG_DIR=str(config),
            TRACKER_DATA_DIR=str(work / "var"),
            TRACKER_TICK_SECONDS=str(tick),
            TRACKER_LOG_LEVEL="INFO",
            TRACKER_LOG_FORMAT="json",  # `batch polled` lines carry fetch and record seconds
            TRACKER_ALLOWED_NETWORKS="127.0.0.0/8",
        )
        release, worker, beat = (procfile(role, env) for role in ("release", "worker", "beat"))
        subprocess.run(release, env=env, check=True, capture_output=True)
        engine = create_engine(database_url)
        logs = [work / f"worker-{i}.log" for i in range(workers)]
        procs = [_start(worker, env, log) for log in logs]
        procs.append(_start(beat, env, work / "beat.log"))
        groups = {"worker": [p.pid for p in procs[:-1]], "beat": [procs[-1].pid]}
        try:
            return _cycles(engine, groups, feeds, count, subset, logs, (worker, beat))
        finally:
            for proc in reversed(procs):  # beat first: no task sent to stopped workers
                stop_group(proc)
            engine.dispose()
            _drop_queue(broker, queue)


def _drop_queue(broker: str, queue: str) -> None:
    """Delete this run's queue and its bindings (the db is shared: no flush)."""
    client = redis.Redis.from_url(broker)
    keys = list(client.scan_iter(match=f"*{queue}*"))
    if keys:
        client.delete(*keys)
    client.close()


def _cycles(
    engine: Engine,
    groups: dict[str, list[int]],
    feeds: Path,
    count: int,
    subset: int,
    logs: list[Path],
    commands: tuple[list[str], list[str]],
) -> TrackerRun:
    everything = f"s{count:05d}"
    warm = cycle(engine, groups, 1, everything, make_due=False)
    missing = _scalar(engine, "SELECT count(*) FROM sources WHERE etag IS NULL")
    if missing:
        raise SystemExit(f"warm-up: {missing} sources stored no ETag; no 304 path to measure")
    before = cpu_snapshot(groups)
    time.sleep(IDLE_SECONDS)  # nothing due: what the beat's ticks alone cost
    after = cpu_snapshot(groups)
    idle = {role: (after[role] - before[role]) / IDLE_SECONDS for role in ROLES}
    versions_before = _versions(engine)
    seq_before = _scalar(engine, "SELECT max(seq) FROM events")
    changed = set()
    stamp = time.time()
    for i in range(0, count, 10):  # 10%: item 0 (about the topic) gets new words
        path = feeds / f"f{i}.xml"
        write_feed(path, i, generation=1)
        os.utime(path, (stamp, stamp))  # a new mtime, so nginx gives a new ETag
        changed.add(f"s{i:05d}")
    mixed = cycle(engine, groups, 2, everything)
    versions_after = _versions(engine)
    grew = {s for s, n in versions_after.items() if n > versions_before.get(s, 0)}
    answered = _scalar(engine, "SELECT count(*) FROM sources WHERE last_status = 'unchanged'")
    with engine.connect() as conn:
        new_events = dict(
            conn.execute(
                text("SELECT type, count(*) FROM events WHERE seq > :s GROUP BY type"),
                {"s": seq_before},
            ).all()
        )
    only_304 = cycle(engine, groups, 3, everything)
    first_pages = cycle(engine, groups, 4, f"s{subset:05d}")
    worker_pgids = groups["worker"]
    return TrackerRun(
        warm=warm,
        idle=idle,
        mixed=mixed,
        only_304=only_304,
        subset=first_pages,
        mixed_batches=_batches(logs, mixed),
        batches_304=_batches(logs, only_304),
        answered_304=answered,
        changed=len(changed),
        versions_ok=len(changed & grew),
        versions_stray=len(grew - changed),
        new_events=new_events,
        rss=[group_peak_rss_mb(pgid) for pgid in worker_pgids],
        commands=[shlex.join(["python", *c[1:]]) for c in commands],
    )


# -- urlwatch -----------------------------------------------------------------------------------


def ensure_urlwatch() -> tuple[Path | None, str]:
    """Return urlwatch's binary (installed into its own venv if missing) and its version, or
    None and why not."""
    binary = URLWATCH / "bin" / "urlwatch"
    try:
        if not binary.exists():
            print(f"installing urlwatch {URLWATCH_VERSION} into {URLWATCH} ...")
            subprocess.run([sys.executable, "-m", "venv", str(URLWATCH)], check=True)
            pip = [str(URLWATCH / "bin" / "pip"), "install", "-q"]
            subprocess.run(
                [*pip, f"urlwatch=={URLWATCH_VERSION}"],
                check=True,
                capture_output=True,
                timeout=900,
            )
        version = subprocess.run(
            [str(binary), "--version"], check=True, capture_output=True, text=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError) as exc:
        said = (getattr(exc, "stderr", None) or b"").decode(errors="replace").strip()
        why = said.splitlines()[-1] if said else str(exc)
        return None, f"urlwatch {URLWATCH_VERSION} could not be installed or run: {why}"
    if not version.endswith(URLWATCH_VERSION):
        return None, f"{binary} is {version!r}, not {URLWATCH_VERSION}"
    return binary, version


@dataclass
class UrlwatchRun:
    pages: int
    seconds: list[float]  # first run, second run (conditional GET)
    cpu: list[float]  # CPU seconds of each run
    not_modified: int  # 304s seen by a third, verbose run

    def rate(self, run: int) -> float:
        return self.pages / self.seconds[run]


def run_urlwatch(binary: Path, base: str, pages: int, work: Path) -> UrlwatchRun:
    """urlwatch over the first `pages` pages twice, timed; then once more, verbose, to count
    its 304s (so its second run was the conditional-GET path)."""
    argv = urlwatch_argv(binary, work / "urlwatch", [f"{base}/f{i}.xml" for i in range(pages)])
    seconds, cpu = [], []
    for _ in range(2):
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        seconds.append(time.monotonic() - started)
        now = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(now.ru_utime + now.ru_stime - used.ru_utime - used.ru_stime)
    verbose = subprocess.run([*argv, "--verbose"], check=True, capture_output=True, text=True)
    return UrlwatchRun(pages, seconds, cpu, verbose.stderr.count("has not changed (HTTP 304)"))


# -- report -------------------------------------------------------------------------------------


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def report(t: TrackerRun, uw: UrlwatchRun | None, uw_note: str, workers: int) -> list[str]:
    """Print the figures beside their targets; return the failed checks."""
    m, o, s = t.mixed, t.only_304, t.subset
    lat = latencies(t.mixed_batches, m.since)
    peaks = [max(p) for p in t.rss if p]
    rows = [
        ("warm-up cycle (every item new)", f"{t.warm.rate:,.0f} polls/s ({t.warm.polls:,} in {t.warm.seconds:.1f} s)", "", ""),
        ("90/10 cycle, made due -> all polled", f"{m.rate:,.0f} polls/s ({m.polls:,} in {m.seconds:.1f} s; {t.answered_304:,} answered 304)", "", ""),
        ("  versions persisted", f"{t.versions_ok:,}/{t.changed:,} changed sources; {t.versions_stray} stray", "every one", _met(t.versions_ok == t.changed and not t.versions_stray)),
        ("  events committed", ", ".join(f"{n:,} {k}" for k, n in sorted(t.new_events.items())) or "none", "", ""),
        ("  CPU per poll, workers + beat", f"{m.cpu_ms('worker', 'beat'):.2f} ms", "", ""),
        ("  fetch -> committed event", f"p50 {lat['fetch_p50'] * 1000:,.0f} ms, p99 {lat['fetch_p99'] * 1000:,.0f} ms ({lat['events']:,} events)", "", ""),
        ("  made due -> committed event", f"p50 {lat['due_p50']:,.1f} s, p99 {lat['due_p99']:,.1f} s", "", ""),
        ("304 cycle, made due -> all polled", f"{o.rate:,.0f} polls/s ({o.polls:,} in {o.seconds:.1f} s; {o.polls / o.active:,.0f}/s first->last poll)", ">= 1,000/s", _met(o.rate >= 1000)),
        ("  CPU per poll, workers + beat", f"{o.cpu_ms('worker', 'beat'):.2f} ms", "", ""),
        (f"304 cycle, first {s.polls:,} pages", f"{s.rate:,.0f} polls/s ({s.seconds:.2f} s)", "", ""),
        ("peak RSS per worker process", f"{max(peaks):.0f} MB (per worker: {', '.join(f'{p:.0f}' for p in peaks)})", "<= 300 MB", _met(max(peaks) <= 300)),
    ]  # fmt: skip
    if uw is not None:
        rows += [
            (f"urlwatch {URLWATCH_VERSION}, first {uw.pages:,} pages", f"{uw.rate(0):,.0f} pages/s, then {uw.rate(1):,.0f} pages/s ({uw.not_modified:,} 304s)", "", ""),
            ("  CPU per page", f"{uw.cpu[0] / uw.pages * 1000:.2f} ms, then {uw.cpu[1] / uw.pages * 1000:.2f} ms", "", ""),
            ("tracker / urlwatch, 304 path", f"{o.rate / uw.rate(1):.1f}x (all {o.polls:,} sources vs urlwatch's second run)", ">= 3x", _met(o.rate / uw.rate(1) >= 3)),
            ("tracker / urlwatch, same pages", f"{s.rate / uw.rate(1):.1f}x (first {s.polls:,} pages, both from start to end)", ">= 3x", _met(s.rate / uw.rate(1) >= 3)),
        ]  # fmt: skip
    else:
        rows.append(("urlwatch", uw_note, ">= 3x", "not measured"))
    width = max(len(r[0]) for r in rows)
    vwidth = max(len(r[1]) for r in rows)
    print(f"\n{'figure'.ljust(width)}  {'measured'.ljust(vwidth)}  target       ")
    print(f"{'-' * width}  {'-' * vwidth}  -------------------")
    for label, value, target, verdict in rows:
        print(f"{label.ljust(width)}  {value.ljust(vwidth)}  {target} {verdict}".rstrip())
    _print_cpu(t)
    print(f"\n90/10 cycle:   {batch_profile(t.mixed_batches)}")
    print(f"304 cycle:     {batch_profile(t.batches_304)}")
    print(f"processes:     {workers} x `{t.commands[0]}`, 1 x `{t.commands[1]}`")
    failed = []
    if t.versions_ok != t.changed or t.versions_stray:
        failed.append("not every changed source stored its new version (or others stored one)")
    if uw is not None and uw.not_modified < uw.pages:
        print(f"WARNING: urlwatch's verbose run saw {uw.not_modified} 304s of {uw.pages}")
    return failed


def _print_cpu(t: TrackerRun) -> None:
    print(
        "\nCPU ms per poll by process (postgres, redis, nginx: every such process on the "
        "machine;\nother: the rest of the machine, i.e. other sessions' work):"
    )
    print(f"  {'cycle':<8}" + "".join(f"{r:>10}" for r in ROLES) + f"{'busy':>10}")
    for name, c in (("90/10", t.mixed), ("304", t.only_304)):
        busy = sum(c.cpu.values()) / (c.seconds * CORES) * 100
        cells = "".join(f"{c.cpu_ms(r):>10.2f}" for r in ROLES)
        print(f"  {name:<8}{cells}{busy:>9.0f}%")
    cells = "".join(f"{t.idle[r] * 1000:>10.0f}" for r in ROLES)
    print(f"  {'idle':<8}{cells}   (ms CPU a second, nothing due: the ticks alone)")
    other = t.only_304.cpu["other"] + t.mixed.cpu["other"]
    span = (t.only_304.seconds + t.mixed.seconds) * CORES
    if other / span > 0.05:
        print(
            f"  other work took {other / span:.0%} of the {CORES} cores during the cycles: "
            "the figures above are pessimistic"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2, help="worker processes (Procfile)")
    parser.add_argument("--tick", type=float, default=0.5, help="TRACKER_TICK_SECONDS")
    parser.add_argument("--urlwatch-pages", type=int, default=1000)
    parser.add_argument("--skip-urlwatch", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the work dir (feeds, logs)")
    args = parser.parse_args()
    subset = min(args.urlwatch_pages, args.sources)
    print(f"load average before: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    work = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    feeds = work / "feeds"
    feeds.mkdir()
    old = time.time() - 86_400
    for i in range(args.sources):
        write_feed(feeds / f"f{i}.xml", i, generation=0)
        os.utime(feeds / f"f{i}.xml", (old, old))  # the changed files' mtimes will differ
    print(
        f"{args.sources:,} feeds on nginx; PostgreSQL + Redis; {args.workers} worker "
        f"process(es) and a beat as in the Procfile; tick {args.tick:g} s"
    )
    uw, note = None, "skipped (--skip-urlwatch)"
    try:
        with nginx(feeds) as base:
            tracker = run_tracker(base, feeds, args.sources, subset, args.workers, args.tick, work)
            if not args.skip_urlwatch:
                binary, note = ensure_urlwatch()
                if binary is None:
                    print(note)
                else:
                    uw = run_urlwatch(binary, base, subset, work)
    finally:
        if args.keep:
            print(f"work dir kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    failed = report(tracker, uw, note, args.workers)
    print(f"load average after:  {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    for problem in failed:
        print(f"FAILED: {problem}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
