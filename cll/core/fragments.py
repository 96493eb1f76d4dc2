"""Rendered template fragments kept in this process's memory, keyed on what they show.

A page that cannot come whole from the page cache (every signed-in page, every cache miss) is
mostly made of pieces that are the same for thousands of requests: a session's card, the
footer, a news card, a page's list of results. The ``{% fragment %}`` tag of the pages
(``cll/core/jinja.py``) renders such a piece once per key and reuses the HTML:

    {% fragment "session-card", session.pk, session.updated_at, session.has_started %}
      ... the card ...
    {% endfragment %}

The key is the fragment's name, the active language, the public-content version
(``pagecache.content_version()``, which changes with any catalogue or news edit) and the values
given. The rule for whoever writes one: **a fragment shows only what its key names** — never the
person or their session.

Two per-request values may be inside, because each request gets its own back (one
``str.replace`` each): a form's ``{{ csrf_input }}`` and a script's ``{{ csp_nonce }}``. Where
the fragment wrote this request's CSRF field or nonce, what is kept holds a marker instead; so
a page's static forms ("sign out", "object to this use") and the frame's scripts need not be
rendered per request. Any other per-request value in the output (the CSRF token written any
other way, a CSRF field that is not this request's) is a mistake: the HTML is used for this
response but never kept, and the mistake is logged, so an error costs speed, never another
visitor's token.

The store is a bounded LRU per process (``CLL_FRAGMENT_CACHE_ENTRIES``), shared by the threads
of a worker; no cache server round trip, no pickling. A fragment is recomputed after a deploy
(new process), a content edit (new version) or when it falls out of the LRU.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.middleware.csp import get_nonce
from django.utils.functional import LazyObject, empty
from django.utils.translation import get_language

from cll.core.pagecache import content_version

logger = logging.getLogger(__name__)

# Present in the HTML of any form that carries a CSRF token: such a form is per request.
_CSRF_FIELD = "csrfmiddlewaretoken"
# What a kept fragment holds in place of this request's CSRF field: an HTML comment (escaped
# text can never write one) with a part drawn at start-up (nobody can write it on purpose).
_CSRF_SLOT = f"<!--cll-csrf-field-{secrets.token_hex(8)}-->"
# The same for this response's CSP nonce (inside attributes too: the marker never leaves).
_NONCE_SLOT = f"<!--cll-csp-nonce-{secrets.token_hex(8)}-->"

_SLOTS = re.compile(f"({re.escape(_CSRF_SLOT)}|{re.escape(_NONCE_SLOT)})")

_lock = threading.Lock()
_store: OrderedDict[Hashable, Any] = OrderedDict()


def fragment_get_or_render(
    key: Hashable,
    render: Callable[[], str],
    *,
    secrets: Callable[[], tuple[str, ...]],
    csrf_input: Any = None,
    nonce: Any = None,
) -> str:
    """The HTML kept under ``key``, or ``render()``'s, kept unless it contains one of the
    strings ``secrets()`` gives once it has rendered (a CSRF form field or token: per-request
    values a shared piece of HTML must never carry). ``csrf_input`` and ``nonce``: the page's
    lazy CSRF field (``{{ csrf_input }}``) and CSP nonce; where the fragment wrote them, they
    are kept as markers and this request's are put back."""
    kept = _kept(key)
    if kept is _MISSING:
        html = kept = render()
        for lazy, slot in ((csrf_input, _CSRF_SLOT), (nonce, _NONCE_SLOT)):
            value = _written(lazy)
            if value and value in kept:
                kept = kept.replace(value, slot)
        if any(secret and secret in kept for secret in secrets()):
            logger.error(
                "Fragment %r shows a per-request value (a CSRF token or field): not cached.",
                key[0],
            )
        else:
            _keep(key, _as_kept(kept))
        return html
    if kept.__class__ is str:  # nothing per request in it
        return kept
    # Asking for the field sets the CSRF cookie, as rendering the form would have; asking for
    # the nonce puts it in the CSP header, as rendering the script would have.
    csrf = (str(csrf_input) if csrf_input is not None else "") if kept.csrf else ""
    written_nonce = (str(nonce) if nonce is not None else "") if kept.nonce else ""
    return "".join(
        [
            csrf if piece is _CSRF_SLOT else written_nonce if piece is _NONCE_SLOT else piece
            for piece in kept.pieces
        ]
    )


def _as_kept(text: str) -> str:
    """What is kept of a fragment's text: the text itself when it holds no marker, else a
    ``_Slotted`` cut at its markers (once, here, rather than on every use)."""
    pieces = _SLOTS.split(text)
    if len(pieces) == 1:
        return text
    # The markers themselves (compared by identity when filled), between the texts.
    return _Slotted(text, tuple(_MARKERS.get(piece, piece) for piece in pieces if piece))


_MARKERS = {_CSRF_SLOT: _CSRF_SLOT, _NONCE_SLOT: _NONCE_SLOT}


class _Slotted(str):
    """A kept fragment with this request's CSRF field or nonce to put back: its text (with the
    markers), and the same cut at the markers, so that a page's use of it neither searches nor
    copies the text more than once."""

    def __new__(cls, text: str, pieces: tuple[str, ...]):
        self = super().__new__(cls, text)
        self.pieces = pieces
        self.csrf, self.nonce = _CSRF_SLOT in pieces, _NONCE_SLOT in pieces
        return self


def _written(value) -> str | None:
    """A page's per-request value as text, if it is not a lazy one nobody asked for yet (None
    then: asking has effects, e.g. the CSRF field sets the CSRF cookie)."""
    if value is None or (isinstance(value, LazyObject) and value._wrapped is empty):
        return None
    return str(value)


def content_memo[T](name: str, values: tuple, compute: Callable[[], T]) -> T:
    """What ``compute()`` gives, kept in this process until the public content changes.

    For the rows behind public pages (the catalogue's sessions, the home page's news): keyed on
    ``name``, the public-content version and ``values`` (which must name everything the result
    depends on besides public content, e.g. the filters, the page number, today's date). The
    result is shared by every request and thread of the process: it must be read-only — a list
    of model instances whose related rows were selected with them, not a lazy query.
    """
    key = ("content-memo", name, content_version(), *(_hashable(value) for value in values))
    value = _kept(key)
    if value is _MISSING:
        value = compute()
        _keep(key, value)
    return value


_MISSING = object()


def _kept(key: Hashable) -> Any:
    """What the bounded LRU holds under ``key`` (now the most recently used), else _MISSING."""
    with _lock:
        value = _store.get(key, _MISSING)
        if value is not _MISSING:
            _store.move_to_end(key)
        return value


def _keep(key: Hashable, value: Any) -> None:
    with _lock:
        _store[key] = value
        while len(_store) > settings.FRAGMENT_CACHE_ENTRIES:
            _store.popitem(last=False)


def fragment_key(name: str, values, language: str | None = None) -> tuple:
    """The key of a fragment: its name, the active language (``language``, if the caller
    knows it), the public-content version and the values it shows (made hashable)."""
    return (
        name,
        language or get_language(),
        content_version(),
        *(_hashable(value) for value in values),
    )


def fragment_secrets(csrf_token: Any = None) -> tuple[str, ...]:
    """What a kept fragment must not contain once this request's CSRF field and nonce are
    markers: a CSRF form field, and this page's CSRF token (the lazy ``{{ csrf_token }}``, if
    something asked for it) written any other way."""
    return (_CSRF_FIELD, _written(csrf_token) or "")


def fragment_nonce(request) -> Any:
    """This response's lazy CSP nonce (None without a request or the CSP middleware)."""
    return get_nonce(request) if request is not None else None


def _hashable(value):
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value


def fragments_clear() -> None:
    """Forget every kept fragment and memo (tests; a setting that fragments may show changed)."""
    with _lock:
        _store.clear()


def fragments_count() -> int:
    return len(_store)


def _on_setting_changed(**kwargs) -> None:
    # A fragment may show a setting (the organisation's name in the footer): tests that
    # override one must not read the HTML made with the old value.
    fragments_clear()


setting_changed.connect(_on_setting_changed, dispatch_uid="cll.core.fragments")
