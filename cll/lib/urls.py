"""Where a URL the visitor supplied (a form's ``next``) may send the browser back to, and
whether a request comes from a page of this site."""

from __future__ import annotations

from django.conf import settings
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


def same_origin(request: HttpRequest) -> bool:
    """Whether a POST comes from a page of this site, for the few forms that carry no CSRF
    token because they sit on pages served from the page cache (the cookie banner, "add to
    cart"): ``Origin`` when the browser sends it, else ``Sec-Fetch-Site``, else ``Referer``.
    A request with none of them is refused."""
    expected = f"{request.scheme}://{request.get_host()}"
    origin = request.headers.get("Origin")
    if origin is not None:
        return origin == expected or origin in settings.CSRF_TRUSTED_ORIGINS
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site in ("same-origin", "none")
    referer = request.headers.get("Referer", "")
    return bool(referer) and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )


def view_route(request: HttpRequest | None) -> str:
    """The URL name of the view answering ``request`` (``"shop:order_detail"``), as audit
    entries record it; "" outside a resolved request."""
    match = getattr(request, "resolver_match", None)
    return match.view_name if match is not None else ""
