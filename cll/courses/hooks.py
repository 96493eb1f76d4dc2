"""What other apps add to the catalogue's pages, without the catalogue importing them.

The catalogue sits below the apps that use it (the shop sells its sessions): it may not import
them (``lint-imports``). So the session page asks this registry for *panels*: an app registers a
function in its ``AppConfig.ready()``; for each request the function returns a template and its
context (or None to show nothing), and the page includes them in the order they were registered.

The session page is served from the page cache to anonymous visitors (cll/core/pagecache.py):
a panel must show an anonymous visitor only what is the same for every anonymous visitor, and
its app must retire cached pages (``pagecache.content_changed``) when what it shows changes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest

from cll.courses.models import Session


@dataclass(frozen=True)
class Panel:
    """A piece of the session page: ``template`` is included with ``panel`` set to ``context``."""

    template: str
    context: Mapping[str, Any] = field(default_factory=dict)


SessionPanel = Callable[[HttpRequest, Session], Panel | None]

_session_panels: list[SessionPanel] = []


def session_panel_register(panel: SessionPanel) -> None:
    """Show ``panel(request, session)`` on every session page (call from an app's ready()).

    Registering the same function twice keeps one (ready() may run again in tests).
    """
    if panel not in _session_panels:
        _session_panels.append(panel)


def session_panels_for(*, request: HttpRequest, session: Session) -> list[Panel]:
    """The panels the registered apps show on ``session``'s page for this request."""
    panels = (panel(request, session) for panel in _session_panels)
    return [panel for panel in panels if panel is not None]
