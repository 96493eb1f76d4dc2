"""Helpers of the tests that read the erasure pages (here and in tests/test_retention_texts.py)."""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone, translation

from cll.accounts.services import child_add
from conftest import PASSWORD


def erasure_page_urls(client, guardian, language: str) -> list[str]:
    """Sign ``guardian`` in, give them a child of nine, and return the three pages that show
    what erasure does (one's own account later or now, the child's), in ``language``."""
    nine = timezone.localdate() - datetime.timedelta(days=9 * 365 + 5)
    child = child_add(
        guardian=guardian,
        data={"first_name": "Lotte", "last_name": "Peeters", "birth_date": nine},
    )
    client.login(email=guardian.email, password=PASSWORD)
    with translation.override(language):
        return [
            reverse("erasure:request"),
            reverse("erasure:account_delete"),
            reverse("erasure:child_delete", args=[child.public_id]),
        ]
