"""The client's IP address, the one idea of it every part of the site shares.

Behind the reverse proxy the README prescribes, ``REMOTE_ADDR`` is the proxy for everyone: a
rate limit keyed on it is one bucket for the whole site, and one client can lock everybody out.
So the client is derived from ``X-Forwarded-For`` — but only when the peer is one of the
proxies listed in ``CLL_TRUSTED_PROXIES`` (the header is trivially forged by anyone else), and
then only its right part, which our proxies wrote: the right-most address that is not itself a
trusted proxy. The access log, allauth's rate limits (sign-in, sign-up, parental consent), the
privacy-request form and the cookie-choice limit all call :func:`request_client_ip`.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def trusted_networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    """The networks of ``CLL_TRUSTED_PROXIES`` entries (addresses or CIDRs); ValueError names
    a malformed one. Memoised: the setting is parsed once, not on every request."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError as exc:
            raise ValueError(
                f"CLL_TRUSTED_PROXIES: {entry!r} is not an IP address or network"
            ) from exc
    return tuple(networks)


def _is_trusted(address: str, trusted: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in trusted if network.version == ip.version)


def client_ip(remote_addr: str, forwarded_for: str, trusted: tuple[Network, ...]) -> str:
    """The client's address: ``REMOTE_ADDR``, unless that peer is a trusted proxy, in which case
    the right-most address of ``X-Forwarded-For`` that is not itself a trusted proxy (the left
    part of the header is whatever the client wrote: never believed). A trusted peer without a
    usable header stays the client. Not memoised: raw addresses are not kept in memory beyond
    the request (and the default, no trusted proxy, returns at once)."""
    if not trusted or not forwarded_for or not _is_trusted(remote_addr, trusted):
        return remote_addr
    for hop in reversed(forwarded_for[:1000].split(",")):
        hop = hop.strip()
        if not hop:
            continue
        if not _is_trusted(hop, trusted):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                # Garbage where an address should be: stop believing the chain here.
                return remote_addr
    return remote_addr


def request_client_ip(request: HttpRequest) -> str:
    """The client of ``request`` as ``CLL_TRUSTED_PROXIES`` says to derive it ("" if unknown)."""
    meta = request.META
    remote_addr = meta.get("REMOTE_ADDR") or ""
    trusted = trusted_networks(tuple(settings.TRUSTED_PROXIES))
    if not trusted:
        return remote_addr
    return client_ip(remote_addr, meta.get("HTTP_X_FORWARDED_FOR", ""), trusted)


def network_of(address: str) -> str:
    """The address's network, not the address: IPv4 /24, IPv6 /48 ("" when unparsable); an
    IPv4-mapped IPv6 address counts as the IPv4 address it carries."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return ""
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))
