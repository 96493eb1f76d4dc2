"""A web worker's long-lived objects kept out of the garbage collector's full collections.

A worker holds some 200,000 objects that live as long as it does: modules, settings, URL
patterns, compiled templates, translation catalogues. CPython's full collection visits every
one of them and holds the GIL while it does, so each of the worker's threads waits: ~105 ms in
one process, 124 to 147 ms measured in granian (docs/benchmarks.md, "the p99 and the garbage
collector"). It comes whenever the old generation has grown by a quarter, first a few seconds
into a worker's load, as its pages load what they load lazily: a stall of every request on
that worker, the p99 of the pages it hit.

``gc.freeze()`` moves every object alive into a permanent generation that no collection visits
(as Python documents it for servers that fork their workers). A worker freezes twice over:

- at start, once the application is loaded (``freeze_alive``, from ``cll/wsgi.py`` and
  ``cll/asgi.py``);
- after its first requests, which load the rest lazily (templates compiled, URL resolvers
  populated, catalogues read): ``FrozenWhenWarm`` (WSGI) and ``FrozenWhenWarmASGI`` freeze
  again when the worker has served ``WARM_MILESTONES`` requests, each time what the pages
  loaded since.

Each freeze follows a full collection, so garbage is not frozen. The objects of a request in
flight on another thread at that moment are frozen with the rest and, if they form reference
cycles, never freed: bounded (a few requests' objects, three times in a worker's life).
What is created later and lives on (a template first used after the last milestone) is
collected as before, among a few thousand objects instead of 200,000.
"""

from __future__ import annotations

import gc
import itertools
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

# Requests served by the worker after which what is alive is frozen again.
WARM_MILESTONES = (100, 1_000, 10_000)


def freeze_alive() -> None:
    """Collect the garbage, then freeze every object still alive."""
    gc.collect()
    gc.freeze()


class _Milestones:
    """Counts a worker's requests and freezes what is alive (``freeze_alive``) before request
    number ``WARM_MILESTONES``."""

    def __init__(self, milestones) -> None:
        self._milestones = frozenset(milestones)
        self._last = max(self._milestones)
        # next() on itertools.count is atomic under the GIL: each request its own number.
        self._served = itertools.count(1)
        self._warm = False

    def count(self) -> None:
        """One request more (nothing once past the last milestone)."""
        if not self._warm:
            number = next(self._served)
            if number in self._milestones:
                freeze_alive()
                self._warm = number >= self._last


class FrozenWhenWarm(_Milestones):
    """A WSGI application that freezes what is alive at its milestones (``_Milestones``);
    otherwise the application it wraps, unchanged."""

    def __init__(self, application: Callable[..., Iterable[bytes]], milestones=WARM_MILESTONES):
        super().__init__(milestones)
        self.application = application

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        self.count()
        return self.application(environ, start_response)


class FrozenWhenWarmASGI(_Milestones):
    """The same for an ASGI application (the embedded layout's pages and the live chat): each
    connection counts as a request."""

    def __init__(self, application: Callable[..., Awaitable[None]], milestones=WARM_MILESTONES):
        super().__init__(milestones)
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Callable, send: Callable) -> None:
        self.count()
        await self.application(scope, receive, send)
