"""Fetching over HTTP: a batch at once on one event loop, connections kept alive per host,
each fetch within limits.

Conditional GET on every request (If-None-Match / If-Modified-Since): 304 means unchanged.
Limits: connect/read/total timeouts, a deadline for the whole batch, a body cap enforced while
streaming, on the bytes sent and on the bytes inflated (so a gzip bomb or an endless body is
cut off at the cap and costs no more), a cap on redirects (followed by hand), and the address
guard on every connection. Every failure becomes a SourceError naming what went wrong. The
wire itself is `connections` (h11 on asyncio streams).
"""

from __future__ import annotations

import asyncio
import functools
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import urljoin

import certifi

from tracker.domain.politeness import Politeness, host_of
from tracker.domain.retry import retry_after_seconds
from tracker.guard import AddressPolicy, AddressRefused
from tracker.sources.connections import Exchange, Pool
from tracker.sources.errors import (
    BlockedAddress,
    FetchConnectError,
    FetchTimeout,
    HttpClientError,
    RateLimited,
    RedirectError,
    ServerError,
    SourceError,
)

_REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class FetchRequest:
    """What to fetch for one source, with the validators of the last good response."""

    source_id: str
    url: str
    etag: str | None = None
    last_modified: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FetchLimits:
    """Bounds on every fetch."""

    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    total_timeout: float = 30.0
    max_body_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    concurrency: int = 50
    batch_deadline: float = 150.0  # seconds for a whole batch; unfinished fetches time out
    user_agent: str = "ceasefire-tracker"
    allowed_networks: tuple[str, ...] = ()
    # Requests in flight per host, within this process too (the dispatcher keeps the budget
    # across workers; `tracker poll --once` leases everything at once and relies on this).
    politeness: Politeness = field(default_factory=Politeness)


@dataclass(frozen=True)
class Fetched:
    """A response: `body` is None when the server answered 304 Not Modified."""

    source_id: str
    status: int
    body: bytes | None
    url: str
    content_type: str | None
    etag: str | None
    last_modified: str | None
    elapsed: float

    @property
    def not_modified(self) -> bool:
        """Return whether the server said the content is unchanged."""
        return self.body is None


@dataclass(frozen=True)
class FetchFailed:
    """A fetch that failed, with the translated error."""

    source_id: str
    error: SourceError
    elapsed: float


FetchResult = Fetched | FetchFailed


def _status_error(response: Exchange) -> SourceError:
    status = response.status
    phrase = f"HTTP {status} {response.head.reason or _phrase(status)}".strip()
    retry_after = retry_after_seconds(response.headers.get("retry-after"))
    if status == HTTPStatus.TOO_MANY_REQUESTS or (
        status == HTTPStatus.SERVICE_UNAVAILABLE and retry_after is not None
    ):
        return RateLimited(phrase, retry_after=retry_after)
    if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        return ServerError(phrase, retry_after=retry_after)
    if status in {HTTPStatus.NOT_FOUND, HTTPStatus.GONE}:
        return HttpClientError(f"HTTP {status} {HTTPStatus(status).phrase}")
    return HttpClientError(phrase)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _request_headers(request: FetchRequest) -> dict[str, str]:
    # Validators go on every hop: the stored ones came from the final URL of a redirect chain,
    # and a server only matches them against its own resources.
    headers = dict(request.headers)
    if request.etag:
        headers["If-None-Match"] = request.etag
    if request.last_modified:
        headers["If-Modified-Since"] = request.last_modified
    return headers


def _keep_cookies(jar: dict[str, str], set_cookies: Sequence[str]) -> None:
    """Remember the cookies a response sets (name and value; an empty value forgets)."""
    for line in set_cookies:
        name, _, rest = line.partition("=")
        name, value = name.strip(), rest.split(";", 1)[0].strip()
        if not name:
            continue
        if value:
            jar[name] = value
        else:
            jar.pop(name, None)


def _with_cookies(headers: dict[str, str], jar: dict[str, str]) -> dict[str, str]:
    if not jar:
        return headers
    sent = "; ".join(f"{name}={value}" for name, value in jar.items())
    configured = next((v for k, v in headers.items() if k.lower() == "cookie"), None)
    others = {k: v for k, v in headers.items() if k.lower() != "cookie"}
    return {**others, "Cookie": f"{configured}; {sent}" if configured else sent}


async def _fetch(pool: Pool, request: FetchRequest, limits: FetchLimits) -> Fetched:
    url = request.url
    started = time.monotonic()
    # Cookies set along this fetch's redirects, by host: a consent or bot check that sets one
    # and redirects back would otherwise loop. Never kept between fetches or sources.
    jars: dict[str, dict[str, str]] = {}
    for _hop in range(limits.max_redirects + 1):
        jar = jars.setdefault(host_of(url), {})
        headers = _with_cookies(_request_headers(request), jar)
        async with pool.get(url, headers) as response:
            _keep_cookies(jar, response.head.cookies)
            if response.status in _REDIRECTS:
                location = response.headers.get("location")
                if not location:
                    raise RedirectError(f"HTTP {response.status} without a Location header")
                url = urljoin(url, location)
                continue
            if response.status == HTTPStatus.NOT_MODIFIED:
                body = None
            elif response.status >= HTTPStatus.BAD_REQUEST:
                raise _status_error(response)
            else:
                body = await response.read(limits.max_body_bytes)
            return Fetched(
                source_id=request.source_id,
                status=response.status,
                body=body,
                url=url,
                content_type=response.headers.get("content-type"),
                etag=response.headers.get("etag"),
                last_modified=response.headers.get("last-modified"),
                elapsed=time.monotonic() - started,
            )
    raise RedirectError(f"more than {limits.max_redirects} redirects")


def _translate(exc: Exception, limits: FetchLimits) -> SourceError:
    if isinstance(exc, SourceError):
        return exc
    if isinstance(exc, AddressRefused):
        return BlockedAddress(exc.reason)
    if isinstance(exc, TimeoutError):
        return FetchTimeout(f"no complete response within {limits.total_timeout:g} s")
    if isinstance(exc, ssl.SSLError):
        return FetchConnectError(f"TLS failed: {exc.reason or exc}")
    if isinstance(exc, ConnectionError):
        return FetchConnectError(f"the connection broke: {exc.strerror or exc}")
    return FetchConnectError(f"{type(exc).__name__}: {exc}")


async def _guarded(
    pool: Pool,
    request: FetchRequest,
    limits: FetchLimits,
    slots: asyncio.Semaphore,
    host_slots: asyncio.Semaphore,
) -> FetchResult:
    async with host_slots, slots:
        started = time.monotonic()
        try:
            async with asyncio.timeout(limits.total_timeout):
                return await _fetch(pool, request, limits)
        except Exception as exc:  # one fetch must never take the batch down
            return FetchFailed(
                request.source_id, _translate(exc, limits), time.monotonic() - started
            )


async def fetch_batch(requests: Sequence[FetchRequest], limits: FetchLimits) -> list[FetchResult]:
    """Fetch every request concurrently on one pool; results in request order, never raising.

    Whatever has not finished by the batch deadline is cancelled and reported as a timeout,
    so a batch always ends in time for its results to be recorded.
    """
    slots = asyncio.Semaphore(limits.concurrency)
    pool = Pool(
        AddressPolicy(limits.allowed_networks),
        _tls_context(),
        connect_timeout=limits.connect_timeout,
        read_timeout=limits.read_timeout,
        headers={
            "User-Agent": limits.user_agent,
            "Accept": "*/*",
            "Accept-Encoding": "gzip, deflate",
        },
    )
    try:
        per_host: dict[str, asyncio.Semaphore] = {}
        for r in requests:
            host = host_of(r.url)
            if host not in per_host:
                per_host[host] = asyncio.Semaphore(limits.politeness.policy(host).concurrency)
        tasks = [
            asyncio.ensure_future(_guarded(pool, r, limits, slots, per_host[host_of(r.url)]))
            for r in requests
        ]
        await asyncio.wait(tasks, timeout=limits.batch_deadline)
        late = FetchTimeout(f"the batch deadline of {limits.batch_deadline:g} s passed first")
        results: list[FetchResult] = []
        for request, task in zip(requests, tasks, strict=True):
            if task.done():
                results.append(task.result())
            else:
                task.cancel()
                results.append(FetchFailed(request.source_id, late, limits.batch_deadline))
        await asyncio.gather(*tasks, return_exceptions=True)
        return results
    finally:
        await pool.aclose()


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One TLS context per process (loading the CA bundle costs ~20 ms a batch otherwise)."""
    return ssl.create_default_context(cafile=certifi.where())


def fetch_all(requests: Sequence[FetchRequest], limits: FetchLimits) -> list[FetchResult]:
    """Run `fetch_batch` to completion from synchronous code (a worker task, the CLI)."""
    if not requests:
        return []
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        return runner.run(fetch_batch(requests, limits))


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop when it is installed (it comes with uvicorn[standard]): a 304 poll costs ~25%
    less CPU on it; else asyncio's own loop."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - a platform without uvloop
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory
