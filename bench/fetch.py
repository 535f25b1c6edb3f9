"""The fetcher alone: CPU per request on the 200 and 304 paths, against a plain httpx client.

N static feeds on nginx; one batch fetches them all (200s, storing validators), the next
fetches them all again conditionally (every answer a 304). The same two rounds are then made
with httpx.AsyncClient (keep-alive, the same concurrency) for comparison: the tracker's
fetcher used httpx until it spent more CPU per poll than the rest of a poll together.

    python bench/fetch.py [--sources 1000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import nginx, write_feed
from tracker.sources.http import Fetched, FetchLimits, FetchRequest, fetch_all

LIMITS = FetchLimits(allowed_networks=("127.0.0.0/8",), concurrency=50)


def _tracker_round(requests: list[FetchRequest]) -> tuple[float, float, list[FetchRequest]]:
    cpu, wall = time.process_time(), time.perf_counter()
    results = fetch_all(requests, LIMITS)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    assert all(isinstance(r, Fetched) for r in results), results[:3]
    again = [
        FetchRequest(r.source_id, q.url, etag=r.etag, last_modified=r.last_modified)
        for q, r in zip(requests, results, strict=True)
        if isinstance(r, Fetched)
    ]
    return cpu, wall, again


async def _httpx(urls: list[str], validators: dict[str, tuple[str, str]]) -> dict[str, int]:
    slots = asyncio.Semaphore(LIMITS.concurrency)
    limits = httpx.Limits(max_connections=50, max_keepalive_connections=50)
    async with httpx.AsyncClient(limits=limits, trust_env=False) as client:

        async def one(url: str) -> int:
            headers = {}
            if url in validators:
                headers = {"If-None-Match": validators[url][0]}
            async with slots:
                response = await client.get(url, headers=headers)
                validators[url] = (response.headers.get("etag", ""), "")
                return response.status_code

        codes = await asyncio.gather(*(one(u) for u in urls))
    return {code: codes.count(code) for code in set(codes)}


def _httpx_round(urls: list[str], validators: dict[str, tuple[str, str]]) -> tuple[float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    asyncio.run(_httpx(urls, validators))
    return time.process_time() - cpu, time.perf_counter() - wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    n = args.sources
    root = Path(tempfile.mkdtemp(prefix="bench-fetch-"))
    for i in range(n):
        write_feed(root / f"feed-{i}.xml", i, 0)
    with nginx(root) as base:
        urls = [f"{base}/feed-{i}.xml" for i in range(n)]
        first = [FetchRequest(f"s{i}", url) for i, url in enumerate(urls)]
        ours: dict[str, list[float]] = {"200": [], "304": []}
        theirs: dict[str, list[float]] = {"200": [], "304": []}
        for _ in range(args.rounds):
            cpu, _wall, conditional = _tracker_round(first)
            ours["200"].append(cpu)
            cpu, _wall, _ = _tracker_round(conditional)
            ours["304"].append(cpu)
            validators: dict[str, tuple[str, str]] = {}
            theirs["200"].append(_httpx_round(urls, validators)[0])
            theirs["304"].append(_httpx_round(urls, validators)[0])
    print(f"fetching {n} feeds from nginx on 127.0.0.1, median of {args.rounds} rounds")
    print(f"{'path':<6}{'tracker ms CPU/req':>20}{'httpx ms CPU/req':>20}{'ratio':>8}")
    for path in ("200", "304"):
        mine = statistics.median(ours[path]) / n * 1000
        peer = statistics.median(theirs[path]) / n * 1000
        print(f"{path:<6}{mine:>20.3f}{peer:>20.3f}{peer / mine:>7.1f}x")


if __name__ == "__main__":
    main()
