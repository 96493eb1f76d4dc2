"""Forms of the placement app: validation only (bounded dates: cll.lib.formfields)."""

from __future__ import annotations
