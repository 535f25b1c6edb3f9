"""The address guard holds at connect time, for webhooks (httpx through GuardedTransport) and
source fetches alike: a loopback target, named by address, by `localhost` or as an IPv4-mapped
IPv6 address, directly or through a redirect from an allowed server, is refused and never gets
a connection. A listener counts every connection it accepts, so a guard that were bypassed (an
httpx transport without the backend, a backend httpx dropped) fails these tests.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from tracker.delivery.signing import new_secret
from tracker.delivery.webhook_sender import WebhookSender
from tracker.guard import AddressPolicy, AddressRefused
from tracker.guard_transport import GuardedTransport
from tracker.sources.errors import BlockedAddress
from tracker.sources.http import FetchFailed, FetchLimits, FetchRequest, fetch_all

REDIRECTOR_HOST = "127.0.0.2"  # the one address the allow-list lets through in these tests
ALLOW_REDIRECTOR = (f"{REDIRECTOR_HOST}/32",)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def _answer(self) -> None:
        self.server.requests.append(self.path)  # type: ignore[attr-defined]
        location = self.server.location  # type: ignore[attr-defined]
        self.send_response(302 if location else 200)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        pass


class Listener(ThreadingHTTPServer):
    """An HTTP server that counts the connections it accepts and the requests it reads; with
    `location` it redirects every request there."""

    daemon_threads = True

    def __init__(self, host: str, port: int = 0, location: str = "") -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, port), _Handler)
        self.connections = 0
        self.requests: list[str] = []
        self.location = location
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def verify_request(self, request: Any, client_address: Any) -> bool:
        self.connections += 1
        return True

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def close(self) -> None:
        self.shutdown()
        self.server_close()


class Target:
    """The loopback server no guarded client may reach: on 127.0.0.1 and, where the machine
    has IPv6 loopback, on ::1 at the same port (`localhost` resolves to both)."""

    def __init__(self) -> None:
        self.servers = [Listener("127.0.0.1")]
        with contextlib.suppress(OSError):  # no IPv6 loopback: `localhost` is 127.0.0.1 alone
            self.servers.append(Listener("::1", self.servers[0].port))
        self.port = self.servers[0].port

    @property
    def connections(self) -> int:
        return sum(s.connections for s in self.servers)

    def urls(self, path: str) -> list[str]:
        """The same loopback place under three names."""
        return [
            f"http://127.0.0.1:{self.port}{path}",
            f"http://localhost:{self.port}{path}",
            f"http://[::ffff:127.0.0.1]:{self.port}{path}",
        ]


@pytest.fixture
def target() -> Iterator[Target]:
    made = Target()
    yield made
    for server in made.servers:
        server.close()


@pytest.fixture
def redirector() -> Iterator[Any]:
    """A server on 127.0.0.2 (allowed) that redirects where a test points it."""
    made = Listener(REDIRECTOR_HOST)
    yield made
    made.close()


def _refused_loopback(reason: str) -> bool:
    return reason.startswith("refused: ") and "is a loopback address" in reason


def test_a_webhook_to_loopback_is_refused_under_every_name_and_never_connects(target):
    """A webhook POST to 127.0.0.1, `localhost` or ::ffff:127.0.0.1 is refused with the reason;
    the server accepts no connection."""
    sender = WebhookSender(AddressPolicy())
    try:
        results = [sender.post(url, [new_secret()], {"id": "e1"}) for url in target.urls("/hook")]
    finally:
        sender.close()
    assert [r.status_code for r in results] == [None, None, None]
    assert all(r.error and _refused_loopback(r.error) for r in results), results
    assert target.connections == 0


def test_the_guarded_transport_refuses_a_redirect_to_loopback_before_connecting(target, redirector):
    """A client following redirects gets AddressRefused for each hop to loopback; the allowed
    server was asked, the loopback one got no connection."""
    with httpx.Client(
        transport=GuardedTransport(AddressPolicy(ALLOW_REDIRECTOR)), follow_redirects=True
    ) as client:
        for url in target.urls("/inside"):
            redirector.location = url
            with pytest.raises(AddressRefused) as refused:
                client.get(f"http://{REDIRECTOR_HOST}:{redirector.port}/out")
            assert _refused_loopback(refused.value.reason)
    assert len(redirector.requests) == 3
    assert target.connections == 0


def test_the_guarded_transport_reaches_what_the_allow_list_allows(target, redirector):
    """The control: with loopback allowed, the same redirect arrives (so the refusals above are
    the guard's), on one kept-alive connection per server for repeated requests."""
    redirector.location = f"http://localhost:{target.port}/inside"
    with httpx.Client(
        transport=GuardedTransport(AddressPolicy(["127.0.0.0/8", "::1/128"])),
        follow_redirects=True,
    ) as client:
        responses = [client.get(f"http://{REDIRECTOR_HOST}:{redirector.port}/out") for _ in "ab"]
    assert [(r.status_code, r.text) for r in responses] == [(200, "ok"), (200, "ok")]
    assert sum(len(s.requests) for s in target.servers) == 2
    assert target.connections == 1
    assert redirector.connections == 1


def test_the_guarded_transport_keeps_the_clients_timeouts(redirector):
    """A server that accepts but never answers costs the client's read timeout, as httpx's
    ReadTimeout, not a hang."""
    silent = socket.create_server(("127.0.0.2", 0))
    try:
        with (
            httpx.Client(
                transport=GuardedTransport(AddressPolicy(ALLOW_REDIRECTOR)), timeout=0.5
            ) as client,
            pytest.raises(httpx.ReadTimeout),
        ):
            client.get(f"http://{REDIRECTOR_HOST}:{silent.getsockname()[1]}/")
    finally:
        silent.close()


def test_a_name_that_does_not_resolve_is_a_connect_error():
    """An unresolvable host is httpx's ConnectError naming the host, not a crash."""
    with (
        httpx.Client(transport=GuardedTransport(AddressPolicy())) as client,
        pytest.raises(httpx.ConnectError, match=r"cannot resolve no-such-host\.invalid"),
    ):
        client.get("http://no-such-host.invalid/")


def test_a_source_fetch_to_loopback_is_refused_directly_and_through_a_redirect(target, redirector):
    """A feed URL on loopback under any of its names, or one an allowed server redirects there,
    fails with BlockedAddress; the loopback server gets no connection."""
    limits = FetchLimits(connect_timeout=1, read_timeout=1, allowed_networks=ALLOW_REDIRECTOR)
    urls = target.urls("/feed.xml")
    direct = fetch_all([FetchRequest(f"d{i}", url) for i, url in enumerate(urls)], limits)
    via_redirect = []
    for i, url in enumerate(urls):  # one batch each: the redirector points at one place at a time
        redirector.location = url
        hop = f"http://{REDIRECTOR_HOST}:{redirector.port}/r{i}"
        via_redirect += fetch_all([FetchRequest(f"r{i}", hop)], limits)
    results = direct + via_redirect
    assert all(isinstance(r, FetchFailed) for r in results), results
    errors = [r.error for r in results if isinstance(r, FetchFailed)]
    assert all(isinstance(e, BlockedAddress) and _refused_loopback(e.reason) for e in errors)
    assert len(redirector.requests) == 3
    assert target.connections == 0
