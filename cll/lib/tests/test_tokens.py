"""Single-use e-mailed links: the token for the e-mail, only its hash for the database."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.utils import timezone

from cll.accounts.models import ParentalConsentRequest
from cll.lib.tokens import link_token_hash, link_token_live, link_token_new


def test_it_makes_random_tokens_whose_hash_alone_is_stored():
    first, second = (link_token_new(lifetime=None) for _ in range(2))
    assert first.token != second.token
    assert len(first.token) >= 43  # 256 bits, URL-safe base64
    assert first.token not in first.hash and len(first.hash) == 64
    assert link_token_hash(first.token) == first.hash
    assert first.expires_at is None


@pytest.mark.django_db
def test_it_opens_a_row_only_until_the_token_expires():
    link = link_token_new(lifetime=datetime.timedelta(hours=1))
    ParentalConsentRequest.objects.create(
        parent_email="parent@example.org", token_hash=link.hash, expires_at=link.expires_at
    )
    live = link_token_live(ParentalConsentRequest.objects, link.token, expires_field="expires_at")
    assert live.count() == 1
    assert not link_token_live(
        ParentalConsentRequest.objects, "another token", expires_field="expires_at"
    ).exists()
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=1, seconds=1)):
        assert not link_token_live(
            ParentalConsentRequest.objects, link.token, expires_field="expires_at"
        ).exists()
