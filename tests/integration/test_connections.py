"""The fetcher's wire, against real local servers: connections kept alive and reused, a server
that hangs up on a kept-alive connection, content and transfer codings, TLS, and URLs."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import socket
import ssl
import subprocess
import threading
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.servers import FeedServer, _Base, _Server
from tracker.domain.politeness import HostPolicy, Politeness
from tracker.guard import AddressPolicy
from tracker.sources.connections import Inflater, Pool, split_url
from tracker.sources.errors import BodyTooLarge, FetchConnectError, HttpClientError
from tracker.sources.http import Fetched, FetchFailed, FetchLimits, FetchRequest, fetch_all

LOCAL = ("127.0.0.0/8",)
RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'


def _limits(per_host: int = 4, **kwargs: object) -> FetchLimits:
    politeness = Politeness(default=HostPolicy(rate=1000, burst=1000, concurrency=per_host))
    return FetchLimits(
        connect_timeout=1,
        read_timeout=1,
        total_timeout=3,
        max_body_bytes=100_000,
        allowed_networks=LOCAL,
        politeness=politeness,
        **kwargs,  # type: ignore[arg-type]
    )


class RawServer:
    """A TCP server on 127.0.0.1 that runs `behaviour(connection, n)` for its n-th connection."""

    def __init__(self, behaviour: Callable[[socket.socket, int], None]) -> None:
        self.behaviour = behaviour
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.connections = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._run, args=(conn, self.connections), daemon=True).start()

    def _run(self, conn: socket.socket, n: int) -> None:
        with conn, contextlib.suppress(OSError):
            self.behaviour(conn, n)

    def close(self) -> None:
        self.sock.close()


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return b""
        data += chunk
    return data


def _answer(body: bytes, *headers: str) -> bytes:
    head = ["HTTP/1.1 200 OK", "Content-Type: application/rss+xml", *headers]
    if not any(h.lower().startswith("transfer-encoding") for h in headers):
        head.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


@pytest.fixture
def raw() -> Iterator[Callable[[Callable[[socket.socket, int], None]], RawServer]]:
    servers: list[RawServer] = []

    def start(behaviour: Callable[[socket.socket, int], None]) -> RawServer:
        servers.append(RawServer(behaviour))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def test_a_batch_reuses_kept_alive_connections(feeds: FeedServer):
    """Forty feeds on one host, two at a time, take no more than two connections, and each
    answer is still the right one (conditional GETs included)."""
    urls = [
        feeds.set(f"/{i}.xml", RSS.replace(b"<title>t", f"<title>{i}".encode())) for i in range(40)
    ]
    results = fetch_all([FetchRequest(f"s{i}", u) for i, u in enumerate(urls)], _limits(2))
    assert [r.body and r.body.count(f"<title>{i}<".encode()) for i, r in enumerate(results)] == [
        1
    ] * 40
    assert len(feeds.peers) <= 2
    again = [
        FetchRequest(r.source_id, r.url, etag=r.etag) for r in results if isinstance(r, Fetched)
    ]
    assert all(r.not_modified for r in fetch_all(again, _limits(2)))  # type: ignore[union-attr]


def test_a_kept_alive_connection_the_server_dropped_is_retried_on_a_new_one(raw):
    """A server answers one request per connection and hangs up on the next one without a word
    (its keep-alive timeout, racing the request): each request is retried once on a new
    connection, and all succeed."""

    def one_then_hang_up(conn: socket.socket, n: int) -> None:
        _read_request(conn)
        conn.sendall(_answer(RSS))
        _read_request(conn)  # the reuse: closed unanswered

    server = raw(one_then_hang_up)
    requests = [FetchRequest(f"s{i}", f"{server.base}/{i}.xml") for i in range(3)]
    results = fetch_all(requests, _limits(1))
    assert all(isinstance(r, Fetched) and r.body == RSS for r in results), results
    assert server.connections == 3


def test_a_new_connection_closed_unanswered_is_an_error_not_a_retry(raw):
    """A server that closes every connection without answering is a connection error, after
    one connection per request."""

    def hang_up(conn: socket.socket, n: int) -> None:
        _read_request(conn)

    server = raw(hang_up)
    (result,) = fetch_all([FetchRequest("s", f"{server.base}/f.xml")], _limits(1))
    assert isinstance(result, FetchFailed)
    assert isinstance(result.error, FetchConnectError)
    assert server.connections == 1


def test_chunked_and_gzipped_bodies_are_read(raw):
    """A gzip body sent in chunks arrives whole and inflated."""
    packed = gzip.compress(RSS)
    chunks = b"".join(
        b"%x\r\n%s\r\n" % (len(packed[i : i + 7]), packed[i : i + 7])
        for i in range(0, len(packed), 7)
    )

    def chunked(conn: socket.socket, n: int) -> None:
        _read_request(conn)
        conn.sendall(
            _answer(chunks + b"0\r\n\r\n", "Transfer-Encoding: chunked", "Content-Encoding: gzip")
        )

    server = raw(chunked)
    (result,) = fetch_all([FetchRequest("s", f"{server.base}/f.xml")], _limits())
    assert isinstance(result, Fetched)
    assert result.body == RSS


@pytest.mark.parametrize("wbits", [zlib.MAX_WBITS, -zlib.MAX_WBITS], ids=["zlib", "raw"])
def test_deflate_is_read_wrapped_or_raw(raw, wbits: int):
    """ "deflate" comes both zlib-wrapped (as the RFC says) and raw (as some servers send it)."""
    packer = zlib.compressobj(6, zlib.DEFLATED, wbits)
    packed = packer.compress(RSS) + packer.flush()

    def deflated(conn: socket.socket, n: int) -> None:
        _read_request(conn)
        conn.sendall(_answer(packed, "Content-Encoding: deflate"))

    server = raw(deflated)
    (result,) = fetch_all([FetchRequest("s", f"{server.base}/f.xml")], _limits())
    assert isinstance(result, Fetched)
    assert result.body == RSS


def test_a_coding_that_was_not_asked_for_is_refused(raw):
    """Brotli was not offered; a server sending it gets a clear error, not garbage stored."""

    def brotli(conn: socket.socket, n: int) -> None:
        _read_request(conn)
        conn.sendall(_answer(b"\x1b\x03\x00", "Content-Encoding: br"))

    server = raw(brotli)
    (result,) = fetch_all([FetchRequest("s", f"{server.base}/f.xml")], _limits())
    assert isinstance(result, FetchFailed)
    assert result.error.reason == "invalid content encoding: 'br' was not asked for"


def test_what_the_server_is_sent(raw):
    """One Host header, the conditional headers, gzip offered, the configured headers winning
    over the defaults, and a path with spaces and Cyrillic percent-encoded."""
    seen: list[bytes] = []

    def record(conn: socket.socket, n: int) -> None:
        seen.append(_read_request(conn))
        conn.sendall(_answer(RSS))

    server = raw(record)
    request = FetchRequest(
        "s",
        f"{server.base}/новости/a b.xml?q=Путин&x=1",
        etag='"v1"',
        headers={"accept": "application/rss+xml", "X-Token": "t", "Accept-Encoding": "br"},
    )
    (result,) = fetch_all([request], _limits())
    assert isinstance(result, Fetched)
    lines = seen[0].decode("ascii").split("\r\n")
    assert lines[0] == (
        "GET /%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8/a%20b.xml"
        "?q=%D0%9F%D1%83%D1%82%D0%B8%D0%BD&x=1 HTTP/1.1"
    )
    headers = [line.split(": ", 1) for line in lines[1:] if line]
    names = [name.lower() for name, _ in headers]
    assert names.count("host") == 1
    assert names.count("accept") == 1
    assert {n.lower(): v for n, v in headers} | {"host": "-"} == {
        "host": "-",
        "user-agent": "ceasefire-tracker",
        "accept": "application/rss+xml",
        "accept-encoding": "gzip, deflate",
        "if-none-match": '"v1"',
        "x-token": "t",
    }


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.org/f.xml", "only http and https can be fetched"),
        ("http:///f.xml", "no host"),
        ("http://example.org:99999/f.xml", "Port out of range"),
        ("http://exa\x00mple.org/f.xml", "characters a host name cannot have"),
    ],
)
def test_urls_that_cannot_be_fetched(url: str, reason: str):
    """A URL the fetcher cannot use is a permanent error naming why, with no connection tried."""
    with pytest.raises(HttpClientError, match=reason):
        split_url(url)
    (result,) = fetch_all([FetchRequest("s", url)], _limits())
    assert isinstance(result, FetchFailed)
    assert reason in result.error.reason


def test_a_header_that_is_not_latin_1_is_refused(feeds: FeedServer):
    """A configured header the wire cannot carry is an error on that source alone."""
    url = feeds.set("/f.xml", RSS)
    bad = FetchRequest("bad", url, headers={"X-Name": "Зеленский"})
    good = FetchRequest("good", url)
    bad_result, good_result = fetch_all([bad, good], _limits())
    assert isinstance(bad_result, FetchFailed)
    assert bad_result.error.reason.startswith("invalid request")
    assert isinstance(good_result, Fetched)


def test_inflating_never_holds_more_than_the_cap():
    """A bomb inflates a slice at a time: the cap stops it before the slice that passes it."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    bomb = packer.compress(b"\0" * 50_000_000) + packer.flush()
    inflater = Inflater.for_coding("gzip", 1_000_000)
    assert inflater is not None
    with pytest.raises(BodyTooLarge, match="after decompression"):
        inflater.feed(bomb)
    small = Inflater.for_coding("x-gzip", 1_000_000)
    assert small is not None
    assert b"".join(small.feed(gzip.compress(b"x" * 999_999)) + small.finish()) == b"x" * 999_999
    assert Inflater.for_coding("identity", 10) is None


# --- TLS -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for `localhost`, made with openssl."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def tls_server(certificate: tuple[Path, Path]) -> Iterator[tuple[str, set[tuple[str, int]]]]:
    """An HTTPS server on localhost answering RSS, keeping connections alive; with the
    addresses its requests came from."""
    peers: set[tuple[str, int]] = set()

    class Handler(_Base):
        def do_GET(self) -> None:
            peers.add(self.client_address)
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(RSS)))
            self.end_headers()
            self.wfile.write(RSS)

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    httpd = _Server(("127.0.0.1", 0), Handler)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"https://localhost:{httpd.server_address[1]}", peers
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_https_is_verified_against_the_host_name(tls_server, certificate: tuple[Path, Path]):
    """Over TLS, with the certificate trusted, the feed is read on one kept-alive connection;
    the name checked is the URL's host, though the connection is made to its address."""
    url, peers = tls_server
    trusted = ssl.create_default_context(cafile=str(certificate[0]))

    async def fetch_three() -> list[bytes]:
        pool = Pool(AddressPolicy(LOCAL), trusted, connect_timeout=2, read_timeout=2, headers={})
        bodies = []
        try:
            for _ in range(3):
                async with pool.get(f"{url}/f.xml", {}) as exchange:
                    bodies.append(await exchange.read(100_000))
        finally:
            await pool.aclose()
        return bodies

    assert asyncio.run(fetch_three()) == [RSS] * 3
    assert len(peers) == 1


def test_an_untrusted_certificate_is_a_clear_error(tls_server):
    """A self-signed certificate is refused with the reason, like any TLS failure."""
    url, peers = tls_server
    (result,) = fetch_all([FetchRequest("s", f"{url}/f.xml")], _limits())
    assert isinstance(result, FetchFailed)
    assert isinstance(result.error, FetchConnectError)
    assert result.error.reason.startswith("TLS failed: CERTIFICATE_VERIFY_FAILED")
    assert not peers


@pytest.mark.parametrize(("kilobytes", "ok"), [(40, True), (200, False)])
def test_long_headers_are_read_up_to_a_bound(raw, kilobytes: int, ok: bool):
    """40 KB of headers (long policies and cookies, as real sites send) are read; 200 KB are
    an error on that source, not memory spent."""
    filler = [f"X-Filler-{i}: {'a' * 1000}" for i in range(kilobytes)]

    def long_head(conn: socket.socket, n: int) -> None:
        _read_request(conn)
        conn.sendall(_answer(RSS, *filler))

    server = raw(long_head)
    (result,) = fetch_all([FetchRequest("s", f"{server.base}/f.xml")], _limits())
    if ok:
        assert isinstance(result, Fetched)
        assert result.body == RSS
    else:
        assert isinstance(result, FetchFailed)
        assert result.error.reason.startswith("invalid HTTP response")


def test_bytes_after_a_complete_response_never_answer_the_next_request(raw):
    """A server that sends more than it said (a body after a 304) on a kept-alive connection:
    the connection is not reused, so the next request gets its own answer, not those bytes."""
    evil = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nEVIL!"

    def overflowing(conn: socket.socket, n: int) -> None:
        while request := _read_request(conn):
            if b"/a.xml" in request:
                conn.sendall(b"HTTP/1.1 304 Not Modified\r\nContent-Length: 0\r\n\r\n" + evil)
            else:
                conn.sendall(_answer(RSS))

    server = raw(overflowing)
    requests = [
        FetchRequest("a", f"{server.base}/a.xml"),
        FetchRequest("b", f"{server.base}/b.xml"),
    ]
    a, b = fetch_all(requests, _limits(1))
    assert isinstance(a, Fetched)
    assert a.not_modified
    assert isinstance(b, Fetched)
    assert b.body == RSS


def test_a_cookie_set_on_a_redirect_is_sent_back_along_it(raw):
    """A consent or bot check that sets a cookie and redirects back to the same URL is
    followed once, with the cookie; the cookie is not kept for the next poll."""
    seen: list[bytes] = []

    def consent(conn: socket.socket, n: int) -> None:
        while request := _read_request(conn):
            seen.append(request)
            if b"Cookie: consent=yes" in request:
                conn.sendall(_answer(RSS))
            else:
                conn.sendall(
                    b"HTTP/1.1 302 Found\r\nSet-Cookie: consent=yes; Path=/; HttpOnly\r\n"
                    b"Set-Cookie: region=eu; Expires=Wed, 21 Oct 2026 07:28:00 GMT\r\n"
                    b"Location: /f.xml\r\nContent-Length: 0\r\n\r\n"
                )

    server = raw(consent)
    (result,) = fetch_all([FetchRequest("s", f"{server.base}/f.xml")], _limits())
    assert isinstance(result, Fetched)
    assert result.body == RSS
    assert b"Cookie: consent=yes; region=eu\r\n" in seen[1]
    fetch_all([FetchRequest("s", f"{server.base}/f.xml")], _limits())
    assert b"Cookie" not in seen[2]


def test_credentials_in_the_url_are_sent_as_basic_auth(raw):
    """user:password@ in a source's URL (an intranet feed) is sent as Basic authorization."""
    seen: list[bytes] = []

    def record(conn: socket.socket, n: int) -> None:
        seen.append(_read_request(conn))
        conn.sendall(_answer(RSS))

    server = raw(record)
    url = server.base.replace("http://", "http://editor:s%3Acret@") + "/f.xml"
    (result,) = fetch_all([FetchRequest("s", url)], _limits())
    assert isinstance(result, Fetched)
    assert b"Authorization: Basic ZWRpdG9yOnM6Y3JldA==\r\n" in seen[0]  # editor:s:cret


@pytest.mark.parametrize(
    ("url", "host", "authority"),
    [
        ("http://faß.de/f.xml", "xn--fa-hia.de", "xn--fa-hia.de"),  # IDNA 2008, not "fass.de"
        ("https://президент.рф/news", "xn--d1abbgf6aiiy.xn--p1ai", "xn--d1abbgf6aiiy.xn--p1ai"),
        ("http://[::1]:8080/f", "::1", "[::1]:8080"),
        ("https://Kremlin.RU:443/", "kremlin.ru", "kremlin.ru"),
    ],
)
def test_hosts_are_sent_as_browsers_send_them(url: str, host: str, authority: str):
    """Host names in IDNA 2008, IPv6 in brackets, default ports left out."""
    target = split_url(url)
    assert (target.origin.host, target.origin.authority) == (host, authority)
