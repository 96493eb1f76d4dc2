"""Fixed-window counters in the cache: "at most N of these per key and window".

For forms and endpoints anyone can reach (privacy requests, quote and fraud reports, cookie
choices, adding to the cart, refused webhooks): the key names what is counted and for whom (a
client network from ``cll.lib.clientip``, a blind index of an address), never the raw value.
Counts live in the configured cache (Redis in production, shared by every worker; local
memory by default, per process).
"""

from __future__ import annotations

from django.core.cache import cache


def window_hit(key: str, *, limit: int, seconds: int) -> bool:
    """Count one hit on ``key`` in the current window of ``seconds``; True while at most
    ``limit`` hits were counted in it (this one included), False beyond."""
    cache.add(key, 0, timeout=seconds)
    try:
        count = cache.incr(key)
    except ValueError:
        # Expired between add() and incr(): this is the first hit of a new window.
        cache.set(key, 1, timeout=seconds)
        count = 1
    return count <= limit
