"""Real HTTP servers on 127.0.0.1 for the tests: a feed server that can misbehave, and a receiver."""

from __future__ import annotations

import contextlib
import email.utils
import hashlib
import itertools
import json
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Gate:
    """Holds the first request that reaches it until released: the moment to crash a worker."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.release = threading.Event()
        self._used = False
        self._lock = threading.Lock()

    def hold(self) -> bool:
        """Hold this request if it is the first; return whether it was held (and is to be dropped)."""
        with self._lock:
            if self._used:
                return False
            self._used = True
        self.arrived.set()
        self.release.wait(60)
        return True


@dataclass
class Resource:
    """What the feed server answers at one path."""

    body: bytes = b""
    content_type: str = "application/rss+xml; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering
    validators: bool = True  # send ETag / Last-Modified and honour conditional requests
    handler: Callable[[BaseHTTPRequestHandler], None] | None = None  # full control
    gate: Gate | None = None  # hold (then drop) the first request


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 512  # the default 5 drops concurrent connects, as no real server does

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that hang up (timeouts, caps, killed workers) are what the tests do


class _Base(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass


class FeedServer:
    """Serves `resources[path]`; counts requests per path; ETag and 304 when asked for."""

    def __init__(self) -> None:
        self.resources: dict[str, Resource] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.peers: set[tuple[str, int]] = set()  # where requests came from: one per connection
        self.lock = threading.Lock()
        outer = self

        class Handler(_Base):
            def do_GET(self) -> None:
                outer._serve(self)

        self.httpd = _Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def set(self, path: str, body: bytes | str = b"", **kwargs: Any) -> str:
        data = body.encode() if isinstance(body, str) else body
        with self.lock:
            self.resources[path] = Resource(body=data, **kwargs)
        return self.url(path)

    def hits(self, path: str) -> int:
        with self.lock:
            return sum(1 for p, _ in self.requests if p == path)

    def _serve(self, req: BaseHTTPRequestHandler) -> None:
        path = req.path.split("?")[0]
        with self.lock:
            self.requests.append((path, dict(req.headers.items())))
            self.peers.add(req.client_address)
            res = self.resources.get(path)
        if res is None:
            self._send(req, 404, b"not found", {"Content-Type": "text/plain"})
            return
        if res.delay:
            time.sleep(res.delay)
        if res.gate is not None and res.gate.hold():
            return
        if res.handler is not None:
            res.handler(req)
            return
        headers = {"Content-Type": res.content_type, **res.headers}
        if res.validators and res.status == 200:
            etag = '"' + hashlib.sha1(res.body).hexdigest()[:16] + '"'  # noqa: S324
            headers["ETag"] = etag
            headers["Last-Modified"] = email.utils.formatdate(0, usegmt=True)
            if req.headers.get("If-None-Match") == etag:
                self._send(req, 304, b"", {"ETag": etag})
                return
        self._send(req, res.status, res.body, headers)

    @staticmethod
    def _send(
        req: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict[str, str]
    ) -> None:
        req.send_response(status)
        for name, value in headers.items():
            req.send_header(name, value)
        req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        if body and req.command != "HEAD":
            req.wfile.write(body)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class Receiver:
    """Records every POST (path, headers, body); answers `statuses` in turn, then 200.

    A status may be an int, `(status, {headers})`, or "hang" (answer nothing for a minute).
    Only 2xx answers count as received; `requests` keeps every request.
    """

    def __init__(self, port: int = 0) -> None:
        self.received: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self.statuses: list[Any] = []
        self.delay = 0.0
        self.gate: Gate | None = None
        self.cond = threading.Condition()
        outer = self

        class Handler(_Base):
            def do_POST(self) -> None:
                outer._receive(self)

        self.httpd = _Server(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _receive(self, req: BaseHTTPRequestHandler) -> None:
        length = int(req.headers.get("Content-Length") or 0)
        body = req.rfile.read(length)
        if self.delay:
            time.sleep(self.delay)
        if self.gate is not None and self.gate.hold():
            return
        record = {"path": req.path, "headers": dict(req.headers.items()), "body": body.decode()}
        with self.cond:
            answer = self.statuses.pop(0) if self.statuses else 200
            status, headers = answer if isinstance(answer, tuple) else (answer, {})
            record["status"] = status
            self.requests.append(record)
            if isinstance(status, int) and status < 300:
                self.received.append(record)
            self.cond.notify_all()
        if status == "hang":
            time.sleep(60)
            return
        req.send_response(status)
        for name, value in headers.items():
            req.send_header(name, value)
        req.send_header("Content-Length", "0")
        req.end_headers()

    def messages(self) -> list[dict[str, Any]]:
        """Return the JSON bodies received (apprise `json://` posts title and message)."""
        with self.cond:
            return [json.loads(r["body"]) for r in self.received]

    def wait_for(self, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
        """Wait until `count` messages arrived; return them (fewer if the timeout passed)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.received) < count and time.monotonic() < deadline:
                self.cond.wait(timeout=max(0.01, deadline - time.monotonic()))
        return self.messages()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def rss(*items: dict[str, str], title: str = "Test feed") -> bytes:
    """Return an RSS 2.0 document with `items` (keys: title, guid, link, description, pubDate)."""
    from xml.sax.saxutils import escape

    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<rss version="2.0"><channel><title>{escape(title)}</title>',
        "<link>http://example.org/</link><description>t</description>",
    ]
    for item in items:
        fields = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in item.items())
        parts.append(f"<item>{fields}</item>")
    parts.append("</channel></rss>")
    return "\n".join(parts).encode()


def item(guid: str, title: str, text: str, pub: str | None = None) -> dict[str, str]:
    """Return one RSS item, published now unless `pub` says otherwise."""
    return {
        "title": title,
        "guid": guid,
        "link": f"http://example.org/{guid}",
        "description": text,
        "pubDate": pub or email.utils.formatdate(time.time(), usegmt=True),
    }


# Misbehaviours for `FeedServer.set(path, handler=...)`: each streams what a broken or hostile
# server sends, and stops quietly when the client hangs up.


def drip(interval: float = 1.0) -> Callable[[BaseHTTPRequestHandler], None]:
    """Return a handler that sends headers, then a feed one byte every `interval` seconds, then
    a space every `interval` seconds for as long as the client listens: it never ends."""

    def handler(req: BaseHTTPRequestHandler) -> None:
        req.send_response(200)
        req.send_header("Content-Type", "application/rss+xml")
        req.end_headers()
        try:
            for byte in itertools.chain(rss(), itertools.repeat(ord(" "))):
                req.wfile.write(bytes([byte]))
                req.wfile.flush()
                time.sleep(interval)
        except OSError:
            pass

    return handler


def endless(req: BaseHTTPRequestHandler) -> None:
    """Send a feed's start and then a body that never ends, with no Content-Length."""
    req.send_response(200)
    req.send_header("Content-Type", "application/rss+xml")
    req.end_headers()
    try:
        req.wfile.write(b'<?xml version="1.0"?><rss version="2.0"><channel><title>')
        chunk = b"x" * 65536
        while True:
            req.wfile.write(chunk)
    except OSError:
        pass


_BOMBS: dict[int, bytes] = {}


def gzip_bomb(megabytes: int = 200) -> Callable[[BaseHTTPRequestHandler], None]:
    """Return a handler sending a small gzip body (about 1/1000 of its size) that inflates to
    `megabytes` MB of zeros; built once per size, without ever holding the inflated bytes."""
    if megabytes not in _BOMBS:
        packer = zlib.compressobj(6, zlib.DEFLATED, 31)  # 31: a gzip wrapper
        zeros = b"\0" * (1024 * 1024)
        _BOMBS[megabytes] = b"".join(packer.compress(zeros) for _ in range(megabytes))
        _BOMBS[megabytes] += packer.flush()
    bomb = _BOMBS[megabytes]

    def handler(req: BaseHTTPRequestHandler) -> None:
        req.send_response(200)
        req.send_header("Content-Type", "application/rss+xml")
        req.send_header("Content-Encoding", "gzip")
        req.send_header("Content-Length", str(len(bomb)))
        req.end_headers()
        with contextlib.suppress(OSError):
            req.wfile.write(bomb)

    return handler


def wait_until(
    predicate: Callable[[], bool], timeout: float = 45.0, what: str = "condition"
) -> None:
    """Wait until `predicate()` holds; fail the test saying what never happened."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
