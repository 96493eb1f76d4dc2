"""What the visitor of a request allows, for code that may not import the consent app.

The access log (analytics) must know whether a visitor consented to analytics (and sent no Do
Not Track or Global Privacy Control signal) without depending on the feature that asks them:
the consent app installs its reader at start-up (``consent_reader_set`` in its ready()), and
everyone else asks ``visitor_allows``. Without a reader, nothing optional is allowed: the
privacy-friendly answer is the default.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest

# (request, category) -> bool; one reader, the consent app's.
_reader: list[Callable[[HttpRequest, str], bool]] = []


def consent_reader_set(reader: Callable[[HttpRequest, str], bool]) -> None:
    """Install how a request's consent is read (a new reader replaces the previous one)."""
    _reader[:] = [reader]


def visitor_allows(request: HttpRequest, category: str) -> bool:
    """Whether the visitor of ``request`` allows the optional cookie category ``category``."""
    return bool(_reader) and _reader[0](request, category)
