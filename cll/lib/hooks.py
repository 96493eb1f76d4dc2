"""A function a higher layer installs at start-up for a lower layer to call.

Layers import downward only (docs/architecture.md, "Layers"). When code below needs an answer
only a layer above knows (whose data key seals a row, what a visitor allows, how to erase a
person), the lower module declares a ``Hook`` and calls it; the higher app installs its function
in its ``AppConfig.ready()``. One function per hook: installing again replaces it (tests do).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured


class Hook:
    """``hook(*args, **kwargs)`` calls the installed function; without one, ``default`` when
    given, else ``ImproperlyConfigured`` with ``missing`` (which app should have installed it)."""

    def __init__(self, *, missing: str, default: Callable[..., Any] | None = None) -> None:
        self._function: Callable[..., Any] | None = None
        self._missing = missing
        self._default = default

    def install(self, function: Callable[..., Any]) -> None:
        self._function = function

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        function = self._function or self._default
        if function is None:
            raise ImproperlyConfigured(self._missing)
        return function(*args, **kwargs)
