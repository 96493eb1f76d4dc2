"""Where a URL the visitor supplied (a form's ``next``) may send the browser back to."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

# Longer is no page of ours, and a huge Location header can make the reverse proxy fail.
MAX_NEXT_LENGTH = 2000


def safe_next(request: HttpRequest, url: str, default: str) -> str:
    """``url`` when it is a path on this site, else ``default``.

    Accepted: a local path starting with exactly one "/" (not "//host" nor "/\\host", which
    browsers read as another host), printable (no control character that browsers drop or that
    would break the Location header), and passing Django's own check for this host and scheme.
    Anything else gives ``default``: another site, a scheme such as ``javascript:``, and words
    such as ``NaN`` or ``-1``.

    Callers answer with ``HttpResponseRedirect(safe_next(...))``, never with
    ``django.shortcuts.redirect()`` on user input: that treats a string without "/" or "." as
    a view name to reverse, and an unknown one is a 500 (``NoReverseMatch``).
    """
    if (
        url
        and len(url) <= MAX_NEXT_LENGTH
        and url.startswith("/")
        and not url.startswith(("//", "/\\"))
        and url.isprintable()
        and url_has_allowed_host_and_scheme(
            url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return url
    return default
