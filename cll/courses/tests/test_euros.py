"""Prices are written the way readers of each language expect."""

from __future__ import annotations

import pytest
from django.utils.translation import override

from cll.courses.prices import euros

NBSP = "\N{NO-BREAK SPACE}"


@pytest.mark.parametrize(
    ("language", "cents", "expected"),
    [
        ("fr", 39000, f"390,00{NBSP}€"),
        ("en", 39000, "€390.00"),
        ("nl", 39000, f"€{NBSP}390,00"),
        ("en", 180050, "€1,800.50"),
        ("nl", 180000, f"€{NBSP}1.800,00"),
    ],
)
def test_it_formats_euros(language, cents, expected):
    with override(language):
        assert euros(cents) == expected


def test_it_formats_thousands_in_french():
    with override("fr"):
        assert euros(180000).replace("\N{NARROW NO-BREAK SPACE}", " ").replace(NBSP, " ") == (
            "1 800,00 €"
        )


def test_it_leaves_a_missing_price_empty():
    assert euros(None) == ""
