"""Reads of the shop: ``<entity>_list_for`` / ``<entity>_get_for``, filtered by owner or role
(user-supplied ids are resolved here, never in views)."""

from __future__ import annotations
