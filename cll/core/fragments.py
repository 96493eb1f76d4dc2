"""Rendered template fragments kept in this process's memory, keyed on what they show.

A page that cannot come whole from the page cache (every signed-in page, every cache miss) is
mostly made of pieces that are the same for thousands of requests: a session's card, the
footer, a news card. Django renders each of them again on every request, and that rendering is
most of a page's time (bench/profile_page.py). The ``{% fragment %}`` tag
(``cll/core/templatetags/fragments.py``) renders such a piece once per key and reuses the HTML:

    {% load fragments %}
    {% fragment "session-card" session.pk session.updated_at session.has_started %}
      ... the card ...
    {% endfragment %}

The key is the fragment's name, the active language, the public-content version
(``pagecache.content_version()``, which changes with any catalogue or news edit) and the values
given. The rule for whoever writes one: **a fragment shows only what its key names** — never the
person, their session, a form's CSRF token or the response's CSP nonce. As a safety net, output
that contains this request's CSRF token or CSP nonce is used for this response but never kept,
and the mistake is logged, so an error costs speed, never another visitor's token.

The store is a bounded LRU per process (``CLL_FRAGMENT_CACHE_ENTRIES``), shared by the threads
of a worker; no cache server round trip, no pickling. A fragment is recomputed after a deploy
(new process), a content edit (new version) or when it falls out of the LRU.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from django.conf import settings
from django.core.signals import setting_changed

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_store: OrderedDict[Hashable, str] = OrderedDict()


def fragment_get_or_render(
    key: Hashable, render: Callable[[], str], *, secrets: Callable[[], tuple[str, ...]]
) -> str:
    """The HTML kept under ``key``, or ``render()``'s, kept unless it contains one of the
    strings ``secrets()`` gives once it has rendered (this request's CSP nonce, the CSRF form
    field: per-request values a shared piece of HTML must never carry)."""
    with _lock:
        html = _store.get(key)
        if html is not None:
            _store.move_to_end(key)
            return html
    html = render()
    if any(secret and secret in html for secret in secrets()):
        logger.error(
            "Fragment %r shows a per-request value (CSRF token or CSP nonce): not cached.", key[0]
        )
        return html
    with _lock:
        _store[key] = html
        while len(_store) > settings.FRAGMENT_CACHE_ENTRIES:
            _store.popitem(last=False)
    return html


def fragments_clear() -> None:
    """Forget every kept fragment (tests; a setting that fragments may show changed)."""
    with _lock:
        _store.clear()


def fragments_count() -> int:
    return len(_store)


def _on_setting_changed(**kwargs) -> None:
    # A fragment may show a setting (the organisation's name in the footer): tests that
    # override one must not read the HTML made with the old value.
    fragments_clear()


setting_changed.connect(_on_setting_changed, dispatch_uid="cll.core.fragments")
