"""HTTP/1.1 for fetching sources: h11 on asyncio streams, connections kept alive per origin.

Why not httpx here: a poll on the conditional-GET path is a few hundred bytes each way, and
httpx's layers cost ~0.85 ms of CPU per request where h11 on a bare stream costs ~0.1 ms; the
tracker makes thousands a minute. httpx stays for webhooks and the LLM, where it does not
matter.

Every connection goes to an address the guard allows: the host is resolved here, each
address checked, and the connection made to the checked address (with the host's name for
TLS), so neither DNS rebinding nor a redirect can reach a refused one. A body is inflated
here, within the cap, a bounded slice at a time: a gzip bomb costs the cap, not its size.
"""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import socket
import ssl
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import h11
import idna

from tracker.guard import AddressPolicy, allowed_address
from tracker.sources.errors import (
    BodyTooLarge,
    FetchConnectError,
    FetchTimeout,
    HttpClientError,
)

_READ_SIZE = 64 * 1024
_MAX_HEAD = 100 * 1024  # bytes of status line and headers (h11's 16 KiB cuts off real sites)
_INFLATE_SLICE = 256 * 1024  # bytes inflated per step: 64 KiB of a bomb would be ~64 MB at once
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Characters a request target may carry as they are; anything else is percent-encoded.
_TARGET_SAFE = "/?#[]@!$&'()*+,;=:-._~%"
_CLOSE_GRACE = 1.0  # seconds to wait for idle connections to close when a batch ends


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a connection goes: requests to the same origin may share one."""

    scheme: str
    host: str  # lower case, IDNA-encoded, IPv6 without brackets
    port: int

    @property
    def authority(self) -> str:
        """Return the Host header's value."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == _DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


@dataclass(frozen=True, slots=True)
class Target:
    """Where a GET goes: the origin, the request target, and the URL's credentials if any."""

    origin: Origin
    path: str
    authorization: str | None = None  # Basic, from user:password@ in the URL


def split_url(url: str) -> Target:
    """Return where an http(s) URL's GET goes; raise HttpClientError for one that cannot be
    fetched. Host names are IDNA 2008 (UTS 46), as browsers and httpx encode them."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise HttpClientError(f"invalid URL: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise HttpClientError(f"invalid URL: only http and https can be fetched, not {url!r}")
    if not parts.hostname:
        raise HttpClientError(f"invalid URL: no host in {url!r}")
    try:
        host = _host(parts.hostname)
    except (UnicodeError, idna.IDNAError, ValueError) as exc:
        raise HttpClientError(f"invalid URL: host {parts.hostname!r}: {exc}") from exc
    target = quote(parts.path or "/", safe=_TARGET_SAFE)
    if parts.query:
        target += "?" + quote(parts.query, safe=_TARGET_SAFE)
    authorization = None
    if parts.username is not None:
        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        authorization = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
    return Target(Origin(scheme, host, port or _DEFAULT_PORTS[scheme]), target, authorization)


def _host(name: str) -> str:
    """Return a URL's host as sent on the wire: an IP address as it is, a name in IDNA."""
    try:
        return str(ipaddress.ip_address(name))
    except ValueError:
        pass
    if name.isascii():
        if not all(c.isalnum() or c in "-._" for c in name):
            raise ValueError("characters a host name cannot have")
        return name
    return idna.encode(name, uts46=True).decode("ascii")


@dataclass(frozen=True, slots=True)
class Head:
    """A response's status line and headers (names in lower case, repeats joined by commas)."""

    status: int
    reason: str
    headers: dict[str, str]
    cookies: tuple[str, ...] = ()  # each Set-Cookie value (they cannot be joined by commas)


class _Stale(Exception):
    """A kept-alive connection the server had closed before it answered: retry on a new one."""


class Connection:
    """One HTTP/1.1 connection: one exchange at a time, reusable when both sides are done."""

    def __init__(self, origin: Origin, reader: asyncio.StreamReader, writer: Any) -> None:
        self.origin = origin
        self._reader = reader
        self._writer = writer
        self._h11 = h11.Connection(h11.CLIENT, max_incomplete_event_size=_MAX_HEAD)
        self.used = False  # whether an exchange has been made on it (so it may have gone stale)
        self._received = 0  # bytes of the current response received so far

    async def _receive(self, read_timeout: float) -> None:
        try:
            async with asyncio.timeout(read_timeout):
                data = await self._reader.read(_READ_SIZE)
        except TimeoutError:
            raise FetchTimeout(f"read timed out after {read_timeout:g} s") from None
        self._received += len(data)
        self._h11.receive_data(data)

    async def _next_event(self, read_timeout: float) -> Any:
        while True:
            try:
                event = self._h11.next_event()
            except h11.RemoteProtocolError as exc:
                raise FetchConnectError(f"invalid HTTP response: {exc}") from exc
            if event is not h11.NEED_DATA:
                return event
            await self._receive(read_timeout)

    async def send(self, target: str, headers: list[tuple[str, str]], read_timeout: float) -> Head:
        """Send a GET and return the response's head, the body still to be read."""
        try:
            wire = [(n.encode("latin-1"), v.encode("latin-1")) for n, v in headers]
            data = self._h11.send(h11.Request(method="GET", target=target, headers=wire)) or b""
            data += self._h11.send(h11.EndOfMessage()) or b""
        except (h11.LocalProtocolError, UnicodeEncodeError) as exc:
            raise HttpClientError(f"invalid request: {exc}") from exc
        reused, self.used, self._received = self.used, True, 0
        try:
            self._writer.write(data)
            async with asyncio.timeout(read_timeout):
                await self._writer.drain()
            while True:
                event = await self._next_event(read_timeout)
                if isinstance(event, h11.Response):
                    break
                if isinstance(event, h11.ConnectionClosed):
                    raise ConnectionResetError("the server closed the connection")
                # an InformationalResponse (1xx) precedes the real one
        except (ConnectionError, FetchConnectError) as exc:
            if reused and not self._received:
                raise _Stale from exc  # not a byte of an answer: the server had hung up
            raise
        except TimeoutError:
            raise FetchTimeout(f"read timed out after {read_timeout:g} s") from None
        received: dict[str, str] = {}
        cookies = []
        for name, value in event.headers:
            key, text = name.decode("latin-1"), value.decode("latin-1")
            if key == "set-cookie":
                cookies.append(text)
            received[key] = f"{received[key]}, {text}" if key in received else text
        return Head(event.status_code, event.reason.decode("latin-1"), received, tuple(cookies))

    async def body(self, read_timeout: float) -> AsyncIterator[bytes]:
        """Yield the body as it arrives (transfer coding removed, content coding kept)."""
        while True:
            event = await self._next_event(read_timeout)
            if isinstance(event, h11.Data):
                yield bytes(event.data)
            elif isinstance(event, h11.EndOfMessage):
                return
            elif isinstance(event, h11.ConnectionClosed):  # pragma: no cover - h11 raises first
                raise FetchConnectError("the connection closed before the body was complete")

    def finished(self) -> bool:
        """Return whether the exchange is complete, reading only what has already arrived."""
        with suppress(h11.RemoteProtocolError):
            while self._h11.their_state is h11.SEND_BODY:
                if self._h11.next_event() is h11.NEED_DATA:
                    return False
        return self._h11.our_state is h11.DONE and self._h11.their_state is h11.DONE

    def quiet(self) -> bool:
        """Return whether nothing has arrived since the last exchange and the server has not
        hung up: bytes after a complete response (a body after a 304, more than its
        Content-Length) would be read as the next request's answer."""
        # the reader's buffer: asyncio has no public peek (bytes that came while idle are there)
        buffered = self._reader._buffer  # type: ignore[attr-defined]  # noqa: SLF001
        unread = self._h11.trailing_data[0] or buffered
        return not unread and not self._reader.at_eof() and not self._writer.is_closing()

    def recycle(self) -> bool:
        """Make the connection ready for the next exchange; False if it cannot be reused."""
        if not self.finished() or not self.quiet():
            return False
        self._h11.start_next_cycle()
        return True

    def close(self) -> None:
        """Close the connection without waiting."""
        self._writer.close()

    async def wait_closed(self) -> None:
        """Wait until the connection is closed."""
        with suppress(Exception):
            await self._writer.wait_closed()


class Pool:
    """Connections by origin, for one batch on one event loop: kept alive and reused.

    Concurrency is bounded by the caller (a semaphore per host and one for the batch), so the
    pool only keeps what is idle. Addresses are resolved once per host and batch.
    """

    def __init__(
        self,
        policy: AddressPolicy,
        tls: ssl.SSLContext,
        *,
        connect_timeout: float,
        read_timeout: float,
        headers: dict[str, str],
    ) -> None:
        self._policy = policy
        self._tls = tls
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._headers = headers
        self._idle: dict[Origin, list[Connection]] = {}
        self._addresses: dict[tuple[str, int], str] = {}
        self._closing: list[Connection] = []

    async def _address(self, origin: Origin) -> str:
        key = (origin.host, origin.port)
        if key not in self._addresses:
            try:
                ipaddress.ip_address(origin.host)
                infos: list[Any] = [(None, None, None, None, (origin.host, origin.port))]
            except ValueError:
                loop = asyncio.get_running_loop()
                try:
                    infos = await loop.getaddrinfo(
                        origin.host, origin.port, type=socket.SOCK_STREAM
                    )
                except OSError as exc:
                    raise FetchConnectError(f"cannot resolve {origin.host}: {exc}") from exc
            self._addresses[key] = allowed_address(self._policy, origin.host, infos)
        return self._addresses[key]

    async def _connect(self, origin: Origin) -> Connection:
        tls = origin.scheme == "https"
        try:
            async with asyncio.timeout(self._connect_timeout):
                address = await self._address(origin)
                reader, writer = await asyncio.open_connection(
                    address,
                    origin.port,
                    ssl=self._tls if tls else None,
                    server_hostname=origin.host if tls else None,
                    limit=_READ_SIZE,
                )
        except TimeoutError:
            raise FetchTimeout(f"connect timed out after {self._connect_timeout:g} s") from None
        except ssl.SSLError as exc:
            raise FetchConnectError(f"TLS failed: {exc.reason or exc}") from exc
        except OSError as exc:
            raise FetchConnectError(f"cannot connect: {exc.strerror or exc}") from exc
        return Connection(origin, reader, writer)

    def _headers_for(self, target: Target, extra: dict[str, str]) -> list[tuple[str, str]]:
        merged = {name.lower(): (name, value) for name, value in self._headers.items()}
        if target.authorization:
            merged["authorization"] = ("Authorization", target.authorization)
        # a source's own headers win, but not over the codings this client can read
        merged.update(
            {n.lower(): (n, v) for n, v in extra.items() if n.lower() != "accept-encoding"}
        )
        merged["host"] = ("Host", target.origin.authority)
        return [merged.pop("host"), *merged.values()]

    def _take_idle(self, origin: Origin) -> Connection | None:
        idle = self._idle.get(origin)
        while idle:
            connection = idle.pop()
            if connection.quiet():
                return connection
            self._close(connection)
        return None

    def _close(self, connection: Connection) -> None:
        connection.close()
        self._closing.append(connection)

    @asynccontextmanager
    async def get(self, url: str, headers: dict[str, str]) -> AsyncIterator[Exchange]:
        """GET `url` on a kept-alive connection when one is idle; the head is read, the body
        is the caller's to read; the connection goes back to the pool if the exchange ended."""
        target = split_url(url)
        origin = target.origin
        wire_headers = self._headers_for(target, headers)
        connection = self._take_idle(origin)
        head: Head | None = None
        if connection is not None:
            try:
                head = await connection.send(target.path, wire_headers, self._read_timeout)
            except _Stale:
                self._close(connection)
                connection = None
            except BaseException:
                self._close(connection)
                raise
        if connection is None:
            connection = await self._connect(origin)
        try:
            if head is None:
                head = await connection.send(target.path, wire_headers, self._read_timeout)
            yield Exchange(connection, head, self._read_timeout)
        except BaseException:
            self._close(connection)
            raise
        if connection.recycle():
            self._idle.setdefault(origin, []).append(connection)
        else:
            self._close(connection)

    async def aclose(self) -> None:
        """Close every connection, waiting a moment for them to go."""
        connections = [c for idle in self._idle.values() for c in idle] + self._closing
        self._idle.clear()
        self._closing.clear()
        for connection in connections:
            connection.close()
        if connections:
            with suppress(TimeoutError):
                async with asyncio.timeout(_CLOSE_GRACE):
                    await asyncio.gather(*(c.wait_closed() for c in connections))


class Exchange:
    """A response whose head has arrived; `read` takes its body within the caps."""

    def __init__(self, connection: Connection, head: Head, read_timeout: float) -> None:
        self._connection = connection
        self.head = head
        self._read_timeout = read_timeout

    @property
    def status(self) -> int:
        """Return the status code."""
        return self.head.status

    @property
    def headers(self) -> dict[str, str]:
        """Return the headers, names in lower case."""
        return self.head.headers

    async def read(self, cap: int) -> bytes:
        """Return the body, content coding removed; raise BodyTooLarge past `cap` bytes,
        counted both as sent and as inflated, before more than `cap` bytes are held."""
        declared = self.headers.get("content-length", "")
        if declared.isascii() and declared.isdigit() and int(declared) > cap:
            raise BodyTooLarge(f"body of {int(declared)} bytes is over the {cap}-byte cap")
        inflater = Inflater.for_coding(self.headers.get("content-encoding", ""), cap)
        parts: list[bytes] = []
        received = 0
        async for data in self._connection.body(self._read_timeout):
            received += len(data)
            if received > cap:
                raise BodyTooLarge(f"body passed the {cap}-byte cap")
            if inflater:
                parts += inflater.feed(data)
            else:
                parts.append(data)
        if inflater:
            parts += inflater.finish()
        return b"".join(parts)


class Inflater:
    """Content decoding (gzip, deflate) that never produces more than `cap` bytes in all."""

    def __init__(self, wbits: int, cap: int, *, raw_fallback: bool = False) -> None:
        self._zlib = zlib.decompressobj(wbits)
        self._cap = cap
        self._size = 0
        self._raw_fallback = raw_fallback  # "deflate" is sent both zlib-wrapped and raw
        self._started = False

    @classmethod
    def for_coding(cls, coding: str, cap: int) -> Inflater | None:
        """Return an inflater for a Content-Encoding value, None for identity; raise
        FetchConnectError for a coding that was not asked for."""
        codings = [c.strip().lower() for c in coding.split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        if not codings:
            return None
        if codings in (["gzip"], ["x-gzip"]):
            return cls(16 + zlib.MAX_WBITS, cap)
        if codings == ["deflate"]:
            return cls(zlib.MAX_WBITS, cap, raw_fallback=True)
        raise FetchConnectError(f"invalid content encoding: {coding!r} was not asked for")

    def _take(self, data: bytes) -> list[bytes]:
        pieces = []
        while True:
            # one byte over the room means past the cap; a slice at a time, however much fits
            limit = min(self._cap - self._size + 1, _INFLATE_SLICE)
            piece = self._zlib.decompress(data, limit)
            self._size += len(piece)
            if self._size > self._cap:
                raise BodyTooLarge(f"body passed the {self._cap}-byte cap (after decompression)")
            pieces.append(piece)
            data = self._zlib.unconsumed_tail
            if len(piece) < limit and not data:  # a full slice may have more behind it
                return pieces

    def feed(self, data: bytes) -> list[bytes]:
        """Return what `data` inflates to; raise BodyTooLarge or FetchConnectError."""
        try:
            out = self._take(data)
        except zlib.error as exc:
            if not (self._raw_fallback and not self._started):
                raise FetchConnectError(f"invalid content encoding: {exc}") from exc
            self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
            self._raw_fallback = False
            return self.feed(data)
        self._started = True
        return out

    def finish(self) -> list[bytes]:
        """Return what is left once the body has ended."""
        if not self._started:
            return []
        return self._take(b"")
