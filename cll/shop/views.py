"""Public and account pages of the shop: thin (a selector or a service, then a template)."""

from __future__ import annotations
