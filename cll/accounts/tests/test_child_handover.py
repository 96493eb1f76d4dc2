"""A handover gives an account to a new address: it spends the sign-up limit (issue 16)."""

from __future__ import annotations

import datetime
import html

import pytest
from django.urls import reverse
from django.utils import timezone

from cll.accounts.models import Guardianship
from cll.accounts.services import child_add
from cll.privacy.models import AuditEntry
from conftest import PASSWORD

from .test_guardians import CHILD

pytestmark = pytest.mark.django_db

THROTTLE_MESSAGE = "Trop de comptes ont été créés depuis cette connexion."


@pytest.fixture
def one_signup_a_minute(settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "signup": "1/m/ip"}


def _teenager(guardian):
    fourteen = timezone.localdate() - datetime.timedelta(days=365 * 14 + 4)
    return child_add(guardian=guardian, data={**CHILD, "birth_date": fourteen})


def _hand_over(client, child, email):
    return client.post(
        reverse("accounts:child_handover", args=[child.public_id]),
        {"email": email, "password1": PASSWORD, "password2": PASSWORD},
    )


def test_it_records_the_handover_in_the_ledger(client, gina, charlie):
    child = _teenager(gina)
    client.force_login(gina)
    assert _hand_over(client, child, "lotte@example.org").status_code == 302
    (entry,) = AuditEntry.objects.filter(action="guardianship.handover")
    assert entry.actor == gina.public_id
    assert entry.subject == child.public_id
    assert entry.detail == {"guardian": str(gina.public_id), "child": str(child.public_id)}
    # A stranger cannot hand over someone else's child.
    other = _teenager(gina)
    client.force_login(charlie)
    assert _hand_over(client, other, "mallory@example.org").status_code == 404
    assert Guardianship.objects.get(child=other).status == Guardianship.Status.ACTIVE


def test_it_limits_handovers_like_sign_ups(client, one_signup_a_minute, gina):
    first, second = _teenager(gina), _teenager(gina)
    client.force_login(gina)
    assert _hand_over(client, first, "lotte@example.org").status_code == 302

    response = _hand_over(client, second, "someone@example.org")
    assert response.status_code == 429
    assert THROTTLE_MESSAGE in html.unescape(response.content.decode())
    second.refresh_from_db()
    assert second.email.endswith("@invalid")
    assert not second.has_usable_password()
    assert Guardianship.objects.get(child=second).status == Guardianship.Status.ACTIVE
    assert AuditEntry.objects.filter(action="guardianship.handover").count() == 1


def test_it_shares_the_connections_sign_up_budget(client, one_signup_a_minute, gina):
    child = _teenager(gina)
    # A sign-up attempt from this connection (allauth counts every one) spends the minute's one.
    client.post(reverse("account_signup"), {})
    client.force_login(gina)
    assert _hand_over(client, child, "lotte@example.org").status_code == 429
    assert Guardianship.objects.get(child=child).status == Guardianship.Status.ACTIVE
