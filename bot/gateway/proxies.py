"""The client's address behind a load balancer.

Behind a balancer every connection comes from the balancer, so the per-address rate limits would count all
youths as one. With TRUSTED_PROXIES set (comma-separated addresses or networks, e.g. "10.0.0.0/8"), a request
whose peer is one of them is treated as coming from the address the proxies recorded in X-Forwarded-For: the
right-most entry that is not itself a trusted proxy (entries further left are whatever the client sent and
cannot be trusted). Without TRUSTED_PROXIES the header is ignored entirely, so nobody can spoof an address by
sending it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable, Iterable, Sequence

from aiohttp import web

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def parse_networks(value: str) -> tuple[Network, ...]:
    """"10.0.0.0/8, 192.168.1.7" → networks; raises ValueError naming the entry that is not an address."""
    networks = []
    for entry in (part.strip() for part in value.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"TRUSTED_PROXIES: {entry!r} is not an IP address or network") from None
    return tuple(networks)


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address | None, networks: Sequence[Network]) -> bool:
    return address is not None and any(address in network for network in networks)


def client_address(peer: str | None, forwarded_for: Iterable[str], networks: Sequence[Network]) -> str | None:
    """The client's address, or None to keep the peer's (not a trusted proxy, or a header we cannot read)."""
    if not networks or not _trusted(_address(peer or ""), networks):
        return None
    hops = [hop.strip() for header in forwarded_for for hop in header.split(",") if hop.strip()]
    client = None
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            return None  # a malformed hop: do not guess past it
        client = str(address)
        if not _trusted(address, networks):
            return client
    return client  # every hop a trusted proxy: the left-most is the best we know


def middleware(networks: Sequence[Network]) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    @web.middleware
    async def forwarded_for(request: web.Request, handler: Handler) -> web.StreamResponse:
        client = client_address(request.remote, request.headers.getall("X-Forwarded-For", []), networks)
        if client is not None:
            request = request.clone(remote=client)
        return await handler(request)

    return forwarded_for
