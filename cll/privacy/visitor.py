"""What the visitor of a request allows, for code that may not import the consent app.

The access log (analytics) must know whether a visitor consented to analytics (and sent no Do
Not Track or Global Privacy Control signal) without depending on the feature that asks them:
the consent app installs its reader at start-up (``consent_reader.install`` in its ready()), and
everyone else asks ``visitor_allows``. Without a reader, nothing optional is allowed: the
privacy-friendly answer is the default.
"""

from __future__ import annotations

from django.http import HttpRequest

from cll.lib.hooks import Hook

# (request, category) -> bool, the consent app's.
consent_reader = Hook(
    missing="No consent reader: the consent app is not installed.",
    default=lambda request, category: False,
)


def visitor_allows(request: HttpRequest, category: str) -> bool:
    """Whether the visitor of ``request`` allows the optional cookie category ``category``."""
    return bool(consent_reader(request, category))
