"""The outbound address guard: no fetch reaches loopback, private, link-local or metadata addresses.

Checked where it cannot be dodged: on the address each connection is actually made to, after
DNS resolution, for the first request and every redirect alike (so DNS rebinding and a
redirect to 169.254.169.254 are both refused). Networks in the allow-list
(`TRACKER_ALLOWED_NETWORKS`) are let through: an intranet feed, or the tests' 127.0.0.1.
The policy is applied by the fetcher's own connections (tracker.sources.connections) and, for
httpx clients, by the network backend in tracker.guard_transport.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any


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


def allowed_address(policy: AddressPolicy, host: str, infos: list[Any]) -> str:
    """Return the first of `infos`' addresses (getaddrinfo's answer) that `policy` allows;
    raise AddressRefused with the first refusal's reason when none is."""
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    refusals = [policy.refusal(a) for a in addresses]
    allowed = [a for a, why in zip(addresses, refusals, strict=True) if why is None]
    if not allowed:
        raise AddressRefused(next((r for r in refusals if r), f"refused: {host} has no address"))
    return allowed[0]
