"""The outbound address guard under httpx (webhook delivery): every connection a client makes,
for the first request and each redirect it follows alike, goes to an address the policy allows.

Built on httpcore's public interface only: `GuardedBackend`, an `httpcore.NetworkBackend`,
resolves the host itself, checks every address (tracker.guard) and connects to an allowed one;
it is handed to `httpcore.ConnectionPool(network_backend=...)`, and `GuardedTransport`, an
`httpx.BaseTransport`, sends httpx's requests through that pool (httpx's own HTTPTransport
takes no backend). TLS still checks the certificate against the host's name, not the address.

Errors: AddressRefused comes out as it is, its `reason` for the caller to report. httpcore's
errors become httpx's, as httpx's own transport maps them:

    httpx.TimeoutException   <- ConnectTimeout, ReadTimeout, WriteTimeout, PoolTimeout
    httpx.NetworkError       <- ConnectError (a name that does not resolve too), ReadError,
                                WriteError
    httpx.ProtocolError      <- LocalProtocolError, RemoteProtocolError
    httpx.ProxyError, httpx.UnsupportedProtocol
"""

from __future__ import annotations

import socket
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import httpcore
import httpx

from tracker.guard import AddressPolicy, allowed_address

# Most specific first: the first class an error is an instance of names its httpx twin.
_HTTPX_ERRORS: tuple[tuple[type[Exception], type[httpx.HTTPError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
    (httpcore.ProxyError, httpx.ProxyError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
)
_HTTPCORE_ERRORS = tuple(core for core, _ in _HTTPX_ERRORS)


@contextmanager
def _as_httpx_errors() -> Iterator[None]:
    try:
        yield
    except _HTTPCORE_ERRORS as exc:
        mapped = next(twin for core, twin in _HTTPX_ERRORS if isinstance(exc, core))
        raise mapped(str(exc)) from exc


class GuardedBackend(httpcore.NetworkBackend):
    """Resolves the host itself, checks every address, and connects only to an allowed one."""

    def __init__(self, policy: AddressPolicy, inner: httpcore.NetworkBackend | None = None) -> None:
        self.policy = policy
        self.inner = inner or httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        return self.inner.connect_tcp(
            allowed_address(self.policy, host, infos),
            port,
            timeout=timeout,
            local_address=local_address,
            socket_options=socket_options,
        )

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


class _Body(httpx.SyncByteStream):
    """A response body read from httpcore, its errors translated."""

    def __init__(self, stream: Iterable[bytes]) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[bytes]:
        with _as_httpx_errors():
            yield from self._stream

    def close(self) -> None:
        close = getattr(self._stream, "close", None)
        if close is not None:
            close()


class GuardedTransport(httpx.BaseTransport):
    """A blocking httpx transport whose every connection passes the guard: HTTP/1.1, TLS
    verified against certifi's bundle (or SSL_CERT_FILE / SSL_CERT_DIR), connections kept
    alive within `limits`; timeouts are the client's, as with httpx's own transport."""

    def __init__(self, policy: AddressPolicy, limits: httpx.Limits | None = None) -> None:
        limits = limits or httpx.Limits(max_connections=100, max_keepalive_connections=20)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(policy),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send `request` through the guarded pool (httpx's HTTPTransport, minus the backend)."""
        if not isinstance(request.stream, httpx.SyncByteStream):  # pragma: no cover - httpx's
            raise TypeError("GuardedTransport sends blocking requests only")
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _as_httpx_errors():
            response = self._pool.handle_request(core_request)
        if not isinstance(response.stream, Iterable):  # pragma: no cover - a sync pool's is
            raise TypeError("httpcore answered a blocking request with an async body")
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_Body(response.stream),
            extensions=response.extensions,
        )

    def close(self) -> None:
        """Close the pooled connections."""
        self._pool.close()
