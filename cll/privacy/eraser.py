"""Erasing a person, for code that may not import the erasure app.

Retention rules erase people (an account nobody used for years, a registration never
confirmed); the accounts app applies them but sits below the erasure app, which erases by the
data map and itself uses accounts. So the erasure app installs its engine here at start-up
(``eraser_set`` in its ready()), and the accounts' pruners call ``person_erase``: one erasure
path for the whole project, no import cycle. Without an eraser installed, erasing raises.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured

_eraser: list[Callable[..., Any]] = []


def eraser_set(eraser: Callable[..., Any]) -> None:
    """Install the function that erases a person: ``eraser(*, subject, reason, actor=None)``."""
    _eraser[:] = [eraser]


def person_erase(*, subject, reason: str, actor=None) -> Any:
    """Erase ``subject`` (a user) as the data map says; returns the eraser's report."""
    if not _eraser:
        raise ImproperlyConfigured(
            "No eraser: the erasure app (cll.erasure) must be installed to erase people."
        )
    return _eraser[0](subject=subject, reason=reason, actor=actor)
