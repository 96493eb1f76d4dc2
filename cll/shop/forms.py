"""Forms of the shop: validation only (bounded dates: cll.lib.formfields)."""

from __future__ import annotations
