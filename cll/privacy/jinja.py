"""Template helpers of the privacy kernel's pages (found by cll.core.jinja.environment).

``optional_url(name)``: the address of a page that an optional feature app serves, or ``""``
when that app is not installed: the kernel links to its officer's tools (the request queue, the
breach register) by URL name only, as ``{% url "name" as var %}`` did in Django's language.
"""

from __future__ import annotations

from django.urls import NoReverseMatch

from cll.core.jinja import url


def optional_url(name: str, *args, **kwargs) -> str:
    try:
        return url(name, *args, **kwargs)
    except NoReverseMatch:
        return ""


GLOBALS = {"optional_url": optional_url}
