"""Prices as people read them."""

from __future__ import annotations

from decimal import Decimal

from django.utils.formats import number_format
from django.utils.translation import get_language


def euros(cents: int | None) -> str:
    """A price in cents, written the way readers of the active language expect it.

    French: 1 390,00 €; Dutch: € 1.390,00; English: €1,390.00.
    """
    if cents is None:
        return ""
    amount = number_format(Decimal(cents) / 100, 2, use_l10n=True, force_grouping=True)
    language = (get_language() or "fr").split("-")[0]
    if language == "fr":
        return f"{amount}\N{NO-BREAK SPACE}€"
    if language == "nl":
        return f"€\N{NO-BREAK SPACE}{amount}"
    return f"€{amount}"
