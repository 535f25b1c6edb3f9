"""The outbound address guard: no fetch reaches loopback, private, link-local or metadata addresses.

Checked where it cannot be dodged: on the address each connection is actually made to, after
DNS resolution, for the first request and every redirect alike (so DNS rebinding and a
redirect to 169.254.169.254 are both refused). Networks in the allow-list
(`TRACKER_ALLOWED_NETWORKS`) are let through: an intranet feed, or the tests' 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from typing import Any

import httpcore


class AddressRefused(Exception):
    """A connection would reach an address the guard refuses; `reason` says which and why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _plain(address: IPAddress) -> IPAddress:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


class AddressPolicy:
    """Which addresses outbound connections may reach."""

    def __init__(self, allowed: Iterable[str] = ()) -> None:
        self.allowed: list[Network] = [ipaddress.ip_network(n, strict=False) for n in allowed]

    def refusal(self, address: str) -> str | None:
        """Return why `address` is refused, or None if a connection to it may be made."""
        ip = _plain(ipaddress.ip_address(address))
        if any(ip in network for network in self.allowed):
            return None
        if ip.is_global and not ip.is_multicast:
            return None
        kind = (
            "a loopback"
            if ip.is_loopback
            else "a link-local (cloud metadata)"
            if ip.is_link_local
            else "a private"
            if ip.is_private
            else "a non-public"
        )
        return f"refused: {ip} is {kind} address (allow it with TRACKER_ALLOWED_NETWORKS)"


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves the host itself, checks every address, and connects only to an allowed one."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend, policy: AddressPolicy) -> None:
        self.inner, self.policy = inner, policy

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's signature
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            infos = await asyncio.wait_for(
                loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout
            )
        except (OSError, TimeoutError) as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        address = allowed_address(self.policy, host, infos)
        return await self.inner.connect_tcp(
            address,
            port,
            timeout=timeout,
            local_address=local_address,
            socket_options=socket_options,
        )

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def allowed_address(policy: AddressPolicy, host: str, infos: list[Any]) -> str:
    """Return the first of `infos`' addresses (getaddrinfo's answer) that `policy` allows;
    raise AddressRefused with the first refusal's reason when none is."""
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    refusals = [policy.refusal(a) for a in addresses]
    allowed = [a for a, why in zip(addresses, refusals, strict=True) if why is None]
    if not allowed:
        raise AddressRefused(next((r for r in refusals if r), f"refused: {host} has no address"))
    return allowed[0]


class GuardedSyncBackend(httpcore.NetworkBackend):
    """The same guard for blocking clients (webhook delivery)."""

    def __init__(self, inner: httpcore.NetworkBackend, policy: AddressPolicy) -> None:
        self.inner, self.policy = inner, policy

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
        address = allowed_address(self.policy, host, infos)
        return self.inner.connect_tcp(
            address,
            port,
            timeout=timeout,
            local_address=local_address,
            socket_options=socket_options,
        )

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


def guarded_sync_transport(policy: AddressPolicy, **kwargs: Any) -> Any:
    """Return a blocking httpx transport whose every connection passes the guard."""
    import httpx

    transport = httpx.HTTPTransport(**kwargs)
    pool = transport._pool  # noqa: SLF001 - httpx has no public hook for the network backend
    pool._network_backend = GuardedSyncBackend(pool._network_backend, policy)  # noqa: SLF001
    return transport


def guarded_transport(policy: AddressPolicy, **kwargs: Any) -> Any:
    """Return an httpx transport whose every connection passes the guard."""
    import httpx

    transport = httpx.AsyncHTTPTransport(**kwargs)
    pool = transport._pool  # noqa: SLF001 - httpx has no public hook for the network backend
    if not hasattr(pool, "_network_backend"):  # pragma: no cover - a future httpcore
        raise RuntimeError("httpcore changed: cannot install the outbound address guard")
    pool._network_backend = GuardedBackend(pool._network_backend, policy)  # noqa: SLF001
    return transport
