"""`tracker poll --once` beside urlwatch 2.29 on the same 1,000 pages, in one run.

The cron-job path: no broker, no worker. nginx on 127.0.0.1 serves N static article pages
(etag on, Last-Modified from the file), so the second cycle of both tools is the
conditional-GET path, every page answering 304. Each tool runs twice, as a cron job would:

- tracker: `tracker init` once (not timed: a one-off setup), then `tracker poll --once` twice
  on SQLite, the embedded default, each a fresh process (start-up, YAML, fetch, extract,
  record, all counted);
- urlwatch 2.29 (its own venv, installed if missing): twice over the same URLs.

It also times `tracker --help` (the median of several runs) and prints a table of both
cycles, the ratios, and the issue's targets.

    python bench/poll_once.py [--pages 1000] [--help-runs 7] [--skip-urlwatch]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import FILLER, RELEVANT, nginx, urlwatch_argv, write_config
from bench.source_scale import ensure_urlwatch

TRACKER = [sys.executable, "-c", "from tracker.cli import main; main()"]
NAV = "".join(f'<li><a href="/section/{i}">Section {i}</a></li>' for i in range(20))
FOOTER = "".join(f'<a href="/about/{i}">About us {i}</a> ' for i in range(15))


def write_page(path: Path, index: int) -> None:
    """An article page with the navigation, share buttons and footer a news site has; one in
    ten is about the topic."""
    lead = RELEVANT if index % 10 == 0 else FILLER
    body = "".join(f"<p>{FILLER} Paragraph {j} of article {index}.</p>" for j in range(6))
    path.write_text(f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Article {index} | Newsroom</title>
<meta property="og:title" content="Article {index}">
<meta property="article:published_time" content="2025-03-18T10:{index % 60:02d}:00Z">
<link rel="canonical" href="/a{index}.html"></head>
<body><header><nav><ul>{NAV}</ul></nav></header>
<main><article><h1>Article {index}</h1><time datetime="2025-03-18T10:00:00Z">18 March 2025</time>
<p>{lead}</p>{body}
<div class="share">Share Tweet Facebook Telegram</div></article>
<aside><h2>Most read</h2><ul>{NAV}</ul></aside></main>
<footer>{FOOTER}<p>Copyright Newsroom 2025</p></footer></body></html>
""")


@dataclass
class Timed:
    seconds: float
    cpu: float
    output: str


def timed(argv: list[str], env: dict[str, str] | None = None) -> Timed:
    """Run a command to its end; return its wall and CPU seconds and its stdout."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run(argv, env=env, check=True, capture_output=True, text=True)
    seconds = time.monotonic() - started
    now = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = now.ru_utime + now.ru_stime - used.ru_utime - used.ru_stime
    return Timed(seconds, cpu, done.stdout.strip())


def tracker_env(work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env.update(
        TRACKER_DATABASE_URL=f"sqlite:///{work / 'tracker.db'}",
        TRACKER_CONFIG_DIR=str(work / "config"),
        TRACKER_DATA_DIR=str(work / "var"),
        TRACKER_LOG_LEVEL="WARNING",
        TRACKER_ALLOWED_NETWORKS="127.0.0.0/8",
    )
    return env


def run_tracker(base: str, pages: int, work: Path) -> list[Timed]:
    write_config(work / "config", base, pages, kind="page", path="a{i}.html")
    env = tracker_env(work)
    subprocess.run([*TRACKER, "init"], env=env, check=True, capture_output=True)
    runs = [timed([*TRACKER, "poll", "--once"], env) for _ in range(2)]
    for run in runs:
        if f"polled {pages} source(s): {pages} ok" not in run.output:
            raise SystemExit(f"tracker did not poll every page: {run.output}")
    return runs


def run_urlwatch(binary: Path, base: str, pages: int, work: Path) -> tuple[list[Timed], int]:
    """urlwatch twice, timed; then once more, verbose, to count its 304s."""
    argv = urlwatch_argv(binary, work / "urlwatch", [f"{base}/a{i}.html" for i in range(pages)])
    runs = [timed(argv) for _ in range(2)]
    verbose = subprocess.run([*argv, "--verbose"], check=True, capture_output=True, text=True)
    return runs, verbose.stderr.count("has not changed (HTTP 304)")


def help_seconds(runs: int) -> float:
    """The median wall time of `tracker --help`, through the installed console script."""
    script = Path(sys.executable).with_name("tracker")
    argv = [str(script), "--help"] if script.exists() else [*TRACKER, "--help"]
    return statistics.median(timed(argv).seconds for _ in range(runs))


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def report(
    pages: int, ours: list[Timed], peer: list[Timed] | None, note: str, help_s: float
) -> int:
    """Print the table; return the number of targets not met."""
    print(f"\n`tracker poll --once` beside urlwatch on {pages:,} pages (nginx on 127.0.0.1)\n")
    print(f"{'':<34}{'cycle 1 (new)':>16}{'cycle 2 (304)':>16}")
    for name, runs in (("tracker poll --once", ours), (note, peer)):
        if runs is None:
            print(f"{name:<34}{'not measured':>16}")
            continue
        print(f"{name:<34}{runs[0].seconds:>14.2f} s{runs[1].seconds:>14.2f} s")
        print(f"{'  CPU':<34}{runs[0].cpu:>14.2f} s{runs[1].cpu:>14.2f} s")
    misses = 0
    rows = [("tracker --help (median)", f"{help_s:.3f} s", "< 0.3 s", help_s < 0.3)]
    if peer is not None:
        first, second = peer[0].seconds / ours[0].seconds, peer[1].seconds / ours[1].seconds
        rows += [
            ("urlwatch / tracker, cycle 1", f"{first:.2f}x", ">= 1x", first >= 1),
            ("urlwatch / tracker, cycle 2", f"{second:.2f}x", ">= 3x", second >= 3),
        ]
    print()
    for name, value, target, ok in rows:
        print(f"{name:<34}{value:>16}{target:>10}  {_met(ok)}")
        misses += not ok
    if peer is None:
        print(f"urlwatch: {note}")
    return misses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--help-runs", type=int, default=7)
    parser.add_argument("--skip-urlwatch", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-once-"))
    site = work / "site"
    site.mkdir()
    for i in range(args.pages):
        write_page(site / f"a{i}.html", i)
    binary, note = (None, "skipped (--skip-urlwatch)")
    if not args.skip_urlwatch:
        binary, note = ensure_urlwatch()
    peer = None
    with nginx(site) as base:
        ours = run_tracker(base, args.pages, work)
        if binary is not None:
            peer, not_modified = run_urlwatch(binary, base, args.pages, work)
            if not_modified != args.pages:
                print(f"WARNING: urlwatch's verbose run saw {not_modified} 304s of {args.pages}")
    help_s = help_seconds(args.help_runs)
    sys.exit(1 if report(args.pages, ours, peer, note, help_s) else 0)


if __name__ == "__main__":
    main()
