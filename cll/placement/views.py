"""Public views of the placement app: thin (a selector or a service, then a template)."""

from __future__ import annotations
