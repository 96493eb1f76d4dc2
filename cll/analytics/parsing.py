"""What the access-log writer derives from a request's raw columns, off the request path.

Every function here takes untrusted text (headers can be anything, of any length) and returns a
short, bounded value; none of them raises on bad input and none reaches the network: the
network and country of an IP come from offline data only, "unknown" without it.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from urllib.parse import urlsplit

import ua_parser

from cll.analytics import geoip
from cll.core import urlscrub
from cll.lib import clientip

UNKNOWN = "unknown"

# Clients that say what they are in the User-Agent but that ua-parser does not class as "Spider".
_BOT_PATTERN = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|scrap|fetch|monitor|uptime|preview|headless|phantomjs|"
    r"curl/|wget/|python-requests|python-urllib|aiohttp|httpx|go-http-client|java/|okhttp|"
    r"libwww|httpclient|axios|node-fetch|postman|facebookexternalhit|lighthouse|pingdom|"
    r"ahrefs|semrush|mj12|yandex|baidu|bingpreview|petalbot|gptbot|ccbot|claudebot|bytespider",
    re.IGNORECASE,
)
_LANGUAGE = re.compile(r"[a-z]{2,3}")


@functools.lru_cache(maxsize=8192)
def user_agent_facts(user_agent: str) -> tuple[str, str, bool]:
    """(browser family, OS family, is a bot) of a User-Agent header."""
    if not user_agent.strip():
        # Real browsers always send one: an empty header is a script.
        return UNKNOWN, UNKNOWN, True
    try:
        result = ua_parser.parse(user_agent[:512])
    except Exception:
        return UNKNOWN, UNKNOWN, bool(_BOT_PATTERN.search(user_agent))
    browser = result.user_agent.family if result.user_agent else "Other"
    os_family = result.os.family if result.os else "Other"
    spider = bool(result.device and result.device.family == "Spider")
    return browser[:64], os_family[:64], spider or bool(_BOT_PATTERN.search(user_agent))


@functools.lru_cache(maxsize=1024)
def primary_language(accept_language: str) -> str:
    """The first language tag of an Accept-Language header ("fr-BE,fr;q=0.9" → "fr")."""
    first = accept_language[:64].split(",", 1)[0].split(";", 1)[0].strip().lower()
    tag = first.split("-", 1)[0]
    return tag if _LANGUAGE.fullmatch(tag) else UNKNOWN


# RFC 1918, RFC 4193 and link-local: a visitor inside our own or a partner's network.
_PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(network)
    for network in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "169.254.0.0/16",
        "fc00::/7",
        "fe80::/10",
    )
)


# A decimal octet as ``ipaddress`` accepts it: 0-255, no leading zero.
_OCTET = re.compile(r"25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9]", re.ASCII)


@functools.lru_cache(maxsize=16384)
def network_and_country(ip: str) -> tuple[str, str]:
    """(network, country) of an IP address from offline data.

    Loopback and private addresses say what they are; a public one is looked up in the MaxMind
    DB files the operator configured (``geoip.lookup``: ASN organisation, ISO country code),
    "unknown" without them. An online lookup would send visitors' addresses to a third party:
    never. Raises ``ConfigError`` only when a configured file cannot be opened.
    """
    octets = ip.split(".")
    if len(octets) == 4 and all(_OCTET.fullmatch(octet) for octet in octets):
        # Dotted IPv4, the usual case, without ``ipaddress`` (ten times slower).
        first, second = int(octets[0]), int(octets[1])
        if first == 127:
            return "loopback", UNKNOWN
        if (
            first == 10
            or (first == 172 and 16 <= second <= 31)
            or (first == 192 and second == 168)
            or (first == 169 and second == 254)
        ):
            return "private network", UNKNOWN
        return geoip.lookup(ip)
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return UNKNOWN, UNKNOWN
    if address.is_loopback:
        return "loopback", UNKNOWN
    if any(
        address in network for network in _PRIVATE_NETWORKS if network.version == address.version
    ):
        return "private network", UNKNOWN
    return geoip.lookup(ip)


def truncate_ip(ip: str) -> str:
    """An IP address without its host part: IPv4 /24, IPv6 /48; "" when it is not an address."""
    return clientip.network_of(ip).partition("/")[0]


@functools.lru_cache(maxsize=8192)
def clean_referrer(referrer: str, own_hosts: frozenset[str]) -> tuple[str, str]:
    """(referrer as logs keep it — ``urlscrub.referrer_without_secrets`` —, its host unless it
    is one of ours). The web workers' writer already reduced it before the spool; reducing again
    here (idempotent, memoised) covers spool files written before that and direct ingestion."""
    cleaned = urlscrub.referrer_without_secrets(referrer, own_hosts)
    if not cleaned:
        return "", ""
    host = urlsplit(cleaned).hostname or ""
    return cleaned[:500], "" if host in own_hosts else host


@functools.lru_cache(maxsize=16384)
def normalise_path(path: str) -> str:
    """A path as aggregates show it: identifiers replaced by ``<id>``.

    Aggregates are for Marketing, who must never see anything that singles out a person: a
    request's public id or a token in a URL would. (The log itself already holds no secret:
    ``cll.core.urlscrub``.)
    """
    return urlscrub.readable_segments(path)[:300]
