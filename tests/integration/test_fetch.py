"""Fetching from real local servers that misbehave: each gets a clear error in bounded time."""

from __future__ import annotations

import gzip
import time

import pytest

from tests.servers import FeedServer
from tracker.guard import AddressPolicy
from tracker.sources.errors import (
    BlockedAddress,
    BodyTooLarge,
    FetchConnectError,
    FetchTimeout,
    HttpClientError,
    RateLimited,
    RedirectError,
    ServerError,
)
from tracker.sources.http import Fetched, FetchFailed, FetchLimits, FetchRequest, fetch_all

LIMITS = FetchLimits(
    connect_timeout=1,
    read_timeout=1,
    total_timeout=2,
    max_body_bytes=100_000,
    allowed_networks=("127.0.0.0/8",),
)


def fetch(url: str, limits: FetchLimits = LIMITS, **kwargs):
    (result,) = fetch_all([FetchRequest("s", url, **kwargs)], limits)
    return result


def error_of(result):
    assert isinstance(result, FetchFailed), result
    return result.error


def _drip(req):
    req.send_response(200)
    req.send_header("Content-Type", "application/rss+xml")
    req.end_headers()
    try:
        for _ in range(50):
            req.wfile.write(b"<")
            req.wfile.flush()
            time.sleep(0.2)
    except OSError:
        pass


def _endless(req):
    req.send_response(200)
    req.send_header("Content-Type", "application/rss+xml")
    req.end_headers()
    try:
        while True:
            req.wfile.write(b"x" * 65536)
    except OSError:
        pass


def _gzip_bomb(req):
    bomb = gzip.compress(b"\0" * 50_000_000)
    req.send_response(200)
    req.send_header("Content-Type", "application/rss+xml")
    req.send_header("Content-Encoding", "gzip")
    req.send_header("Content-Length", str(len(bomb)))
    req.end_headers()
    req.wfile.write(bomb)


def _hang(req):
    time.sleep(5)


def _bad_encoding(req):
    req.send_response(200)
    req.send_header("Content-Encoding", "gzip")
    req.send_header("Content-Length", "12")
    req.end_headers()
    req.wfile.write(b"not gzip!!!!")


def test_conditional_get_gets_304(feeds: FeedServer):
    """With the ETag of the last response the server answers 304: no body, unchanged."""
    url = feeds.set("/f.xml", b"<rss/>")
    first = fetch(url)
    assert isinstance(first, Fetched)
    assert first.body == b"<rss/>"
    assert first.etag
    second = fetch(url, etag=first.etag)
    assert isinstance(second, Fetched)
    assert second.not_modified


def test_slow_drip_is_cut_at_the_total_timeout(feeds: FeedServer):
    """A server trickling a byte every 200 ms is given up at the total timeout."""
    url = feeds.set("/f.xml", handler=_drip)
    started = time.monotonic()
    assert isinstance(error_of(fetch(url)), FetchTimeout)
    assert time.monotonic() - started < 3.5


def test_a_hanging_server_times_out(feeds: FeedServer):
    """No response at all is a read timeout."""
    url = feeds.set("/f.xml", handler=_hang)
    assert isinstance(error_of(fetch(url)), FetchTimeout)


def test_endless_body_is_cut_at_the_cap(feeds: FeedServer):
    """A body that never ends is aborted at the size cap."""
    url = feeds.set("/f.xml", handler=_endless)
    error = error_of(fetch(url))
    assert isinstance(error, BodyTooLarge)
    assert "100000-byte cap" in error.reason


def test_gzip_bomb_is_cut_at_the_cap_after_decompression(feeds: FeedServer):
    """50 MB of zeros in a 50 kB gzip body stops at the cap, decompressed."""
    url = feeds.set("/f.xml", handler=_gzip_bomb)
    error = error_of(fetch(url))
    assert isinstance(error, BodyTooLarge)
    assert "after decompression" in error.reason


def test_declared_oversize_is_refused_before_reading(feeds: FeedServer):
    """A Content-Length over the cap is refused without reading the body."""
    url = feeds.set("/f.xml", b"x" * 200_000)
    assert "200000 bytes" in error_of(fetch(url)).reason


def test_redirect_loop_stops(feeds: FeedServer):
    """A redirect loop ends after max_redirects with a clear error."""
    url = feeds.set("/a", status=302, headers={"Location": "/b"}, validators=False)
    feeds.set("/b", status=301, headers={"Location": "/a"}, validators=False)
    error = error_of(fetch(url))
    assert isinstance(error, RedirectError)
    assert "more than 5 redirects" in error.reason


def test_redirect_is_followed_to_the_final_url(feeds: FeedServer):
    """A permanent redirect is followed and the final URL reported."""
    url = feeds.set("/old", status=301, headers={"Location": "/new.xml"}, validators=False)
    feeds.set("/new.xml", b"<rss/>")
    result = fetch(url)
    assert isinstance(result, Fetched)
    assert result.url.endswith("/new.xml")


def test_connection_refused(feeds: FeedServer):
    """Nobody listening is a connect error, quickly."""
    assert isinstance(error_of(fetch("http://127.0.0.1:9/f.xml")), FetchConnectError)


@pytest.mark.parametrize(
    ("status", "headers", "kind", "reason", "retry_after"),
    [
        (500, {}, ServerError, "HTTP 500 Internal Server Error", None),
        (503, {"Retry-After": "120"}, RateLimited, "HTTP 503 Service Unavailable", 120),
        (429, {"Retry-After": "30"}, RateLimited, "HTTP 429 Too Many Requests", 30),
        (404, {}, HttpClientError, "HTTP 404 Not Found", None),
        (410, {}, HttpClientError, "HTTP 410 Gone", None),
        (403, {}, HttpClientError, "HTTP 403 Forbidden", None),
    ],
)
def test_status_codes(feeds: FeedServer, status, headers, kind, reason, retry_after):
    """Each HTTP error status maps to a transient or permanent error with the server's Retry-After."""
    url = feeds.set("/f.xml", b"", status=status, headers=headers)
    error = error_of(fetch(url))
    assert type(error) is kind
    assert error.reason == reason
    assert error.retry_after == retry_after
    assert error.transient is (
        status >= 429 and status != 404 and status < 600 and status not in {403, 410}
    )


def test_broken_content_encoding(feeds: FeedServer):
    """A body that claims gzip but is not is a clear error, not a crash."""
    url = feeds.set("/f.xml", handler=_bad_encoding)
    assert "content encoding" in error_of(fetch(url)).reason


def test_one_hanging_source_does_not_slow_a_batch(feeds: FeedServer):
    """Fetched together, 30 good sources and one that hangs finish within one timeout."""
    good = [FetchRequest(f"s{i}", feeds.set(f"/{i}.xml", b"<rss/>")) for i in range(30)]
    bad = FetchRequest("hang", feeds.set("/hang.xml", handler=_hang))
    started = time.monotonic()
    results = fetch_all([*good, bad], LIMITS)
    assert time.monotonic() - started < 3
    assert sum(isinstance(r, Fetched) for r in results) == 30
    assert isinstance(results[-1], FetchFailed)


def test_loopback_is_refused_without_the_allow_list(feeds: FeedServer):
    """By default a feed on 127.0.0.1 is refused, naming the address and the setting that allows it."""
    url = feeds.set("/f.xml", b"<rss/>")
    error = error_of(fetch(url, FetchLimits(allowed_networks=())))
    assert isinstance(error, BlockedAddress)
    assert (
        error.reason
        == "refused: 127.0.0.1 is a loopback address (allow it with TRACKER_ALLOWED_NETWORKS)"
    )
    assert feeds.hits("/f.xml") == 0


def test_a_redirect_to_the_metadata_address_is_refused(feeds: FeedServer):
    """An allowed server redirecting to 169.254.169.254 gets the redirect refused, not followed."""
    url = feeds.set(
        "/f.xml",
        status=302,
        headers={"Location": "http://169.254.169.254/latest/meta-data/"},
        validators=False,
    )
    error = error_of(fetch(url))
    assert isinstance(error, BlockedAddress)
    assert "169.254.169.254 is a link-local (cloud metadata) address" in error.reason


@pytest.mark.parametrize(
    ("address", "refused"),
    [
        ("10.1.2.3", True),
        ("192.168.1.1", True),
        ("172.16.0.1", True),
        ("100.64.0.1", True),
        ("::1", True),
        ("fe80::1", True),
        ("::ffff:127.0.0.1", True),
        ("0.0.0.0", True),
        ("224.0.0.1", True),
        ("93.184.216.34", False),
        ("2606:4700::1111", False),
    ],
)
def test_address_policy(address, refused):
    """Private, loopback, link-local, CGNAT, mapped, unspecified and multicast are refused; public is not."""
    assert (AddressPolicy().refusal(address) is not None) is refused
    assert AddressPolicy(["10.0.0.0/8"]).refusal("10.1.2.3") is None


def test_the_batch_deadline_cuts_what_is_still_running(feeds: FeedServer):
    """Fetches still running at the batch deadline are reported as timeouts; the rest keep their results."""
    limits = FetchLimits(
        read_timeout=10, total_timeout=10, batch_deadline=1, allowed_networks=("127.0.0.0/8",)
    )
    good = FetchRequest("good", feeds.set("/good.xml", b"<rss/>"))
    slow = FetchRequest("slow", feeds.set("/slow.xml", handler=_hang))
    started = time.monotonic()
    fast_result, slow_result = fetch_all([good, slow], limits)
    assert time.monotonic() - started < 2.5
    assert isinstance(fast_result, Fetched)
    assert "batch deadline of 1 s" in error_of(slow_result).reason
