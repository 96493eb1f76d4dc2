"""Per-response Content-Security-Policy for pages that inject consented third-party tags.

The site-wide CSP (``SECURE_CSP``) allows no third-party host. A page that injects Google's
tags (``jinja2/consent/_tags.html``, only for a visitor who consented and sends no DNT/GPC
signal) gets the tag hosts added to ``script-src``/``connect-src``/``img-src`` through
``response._csp_config``, which Django's ``ContentSecurityPolicyMiddleware`` reads (the
mechanism behind ``django.views.decorators.csp.csp_override``). Pages served from the page cache
are covered too: the decision is made from the request's consent and the response body, not
from the view. Must sit after ``ContentSecurityPolicyMiddleware`` in ``MIDDLEWARE``.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.cache import patch_vary_headers

from cll.consent.selectors import tag_csp_sources, tags_for

# The attribute _tags.html puts on the loader script: proof that the tag is in the body.
TAG_MARKER = b"data-consent-tags"


def csp_with(base: dict, extra: dict[str, list[str]]) -> dict:
    merged = {name: list(values) for name, values in base.items()}
    for directive, hosts in extra.items():
        values = merged.setdefault(directive, list(base.get("default-src", [])))
        values.extend(host for host in hosts if host not in values)
    return merged


class ConsentTagsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.get("Content-Type", "").startswith("text/html"):
            return response
        # The banner and the tags depend on the privacy signals (the cookie is varied on by the
        # page cache already).
        patch_vary_headers(response, ("DNT", "Sec-GPC"))
        if response.streaming:
            return response
        tags = tags_for(request)
        if tags and TAG_MARKER in response.content:
            base = getattr(response, "_csp_config", None) or settings.SECURE_CSP
            response._csp_config = csp_with(base, tag_csp_sources(tags))
        return response
