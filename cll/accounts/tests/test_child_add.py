"""Guardians add children within a cap and a throttle, each addition in the ledger (issue 16)."""

from __future__ import annotations

import datetime
import html
import secrets

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from cll.accounts.models import Guardianship, ParentalConsentRequest, User
from cll.accounts.services import ChildLimitReached, child_add
from cll.lib.env import ConfigError
from cll.lib.tokens import link_token_hash
from cll.privacy.models import AuditEntry
from tests.test_configuration import load_settings, production_env

from .test_guardians import CHILD

pytestmark = pytest.mark.django_db

CAP_MESSAGE = "Vous avez atteint le nombre maximal d'enfants pour un même compte (2)."
THROTTLE_MESSAGE = "Vous avez ajouté trop d'enfants en peu de temps."


def _page(response) -> str:
    return html.unescape(response.content.decode())


def _consent_link() -> tuple[str, ParentalConsentRequest]:
    token = secrets.token_urlsafe(32)
    request = ParentalConsentRequest.objects.create(
        parent_email="gina@example.org",
        token_hash=link_token_hash(token),
        expires_at=timezone.now() + datetime.timedelta(days=7),
    )
    return reverse("accounts:parental_consent", args=[token]), request


def _throttle_amount() -> int:
    # "10/h/user": the first rate's amount.
    return int(settings.ACCOUNT_RATE_LIMITS["child_add"].split("/")[0])


def test_it_asks_a_visitor_to_sign_in(client):
    response = client.get(reverse("accounts:child_add"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert client.post(reverse("accounts:child_add"), CHILD).status_code == 302
    assert not Guardianship.objects.exists()


def test_it_records_every_child_added_in_the_ledger(client, gina, charlie):
    client.force_login(gina)
    for _ in range(2):
        assert client.post(reverse("accounts:child_add"), CHILD).status_code == 302
    children = [g.child for g in Guardianship.objects.filter(guardian=gina)]
    assert len(children) == 2
    for child in children:
        (consent,) = AuditEntry.objects.filter(action="consent.parental", subject=child.public_id)
        assert consent.actor == gina.public_id
        assert consent.detail["guardian"] == str(gina.public_id)
        assert consent.detail["child"] == str(child.public_id)
        (created,) = AuditEntry.objects.filter(action="profile.create", subject=child.public_id)
        assert created.actor == gina.public_id
    # Nothing about the stranger, nothing written in their name.
    assert not AuditEntry.objects.filter(actor=charlie.public_id).exists()
    assert not AuditEntry.objects.filter(subject=charlie.public_id).exists()


def test_it_refuses_a_child_beyond_the_cap(client, settings, gina, charlie):
    settings.MAX_CHILDREN_PER_GUARDIAN = 2
    client.force_login(gina)
    for _ in range(2):
        assert client.post(reverse("accounts:child_add"), CHILD).status_code == 302
    users, entries = User.objects.count(), AuditEntry.objects.count()

    response = client.post(reverse("accounts:child_add"), CHILD)
    assert response.status_code == 200
    assert CAP_MESSAGE in _page(response)
    assert Guardianship.objects.filter(guardian=gina).count() == 2
    assert User.objects.count() == users
    assert AuditEntry.objects.count() == entries
    # The cap is per guardian: another account adds its own child.
    client.force_login(charlie)
    assert client.post(reverse("accounts:child_add"), CHILD).status_code == 302


def test_it_refuses_a_child_beyond_the_cap_through_a_consent_link(client, settings, gina):
    settings.MAX_CHILDREN_PER_GUARDIAN = 1
    child_add(guardian=gina, data=CHILD)
    link, request = _consent_link()
    client.force_login(gina)
    response = client.post(link, CHILD)
    assert response.status_code == 200
    assert "(1)" in _page(response)
    assert Guardianship.objects.filter(guardian=gina).count() == 1
    # The link is kept: usable once the guardian has room again.
    assert ParentalConsentRequest.objects.filter(pk=request.pk).exists()


def test_it_counts_children_already_handed_over(settings, gina):
    settings.MAX_CHILDREN_PER_GUARDIAN = 1
    child = child_add(guardian=gina, data=CHILD)
    Guardianship.objects.filter(child=child).update(status=Guardianship.Status.HANDED_OVER)
    with pytest.raises(ChildLimitReached):
        child_add(guardian=gina, data=CHILD)
    assert Guardianship.objects.filter(guardian=gina).count() == 1


def test_it_throttles_children_added_within_the_hour(client, settings, time_machine, gina):
    settings.MAX_CHILDREN_PER_GUARDIAN = 50
    time_machine.move_to(timezone.now(), tick=False)
    client.force_login(gina)
    amount = _throttle_amount()
    for _ in range(amount):
        assert client.post(reverse("accounts:child_add"), CHILD).status_code == 302
    users, entries = User.objects.count(), AuditEntry.objects.count()

    response = client.post(reverse("accounts:child_add"), CHILD)
    assert response.status_code == 429
    assert THROTTLE_MESSAGE in _page(response)
    assert Guardianship.objects.filter(guardian=gina).count() == amount
    assert User.objects.count() == users
    assert AuditEntry.objects.count() == entries
    # An hour later, the guardian may add a child again.
    time_machine.shift(datetime.timedelta(hours=1, seconds=1))
    assert client.post(reverse("accounts:child_add"), CHILD).status_code == 302


def test_it_throttles_children_added_through_a_consent_link(client, settings, gina):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "child_add": "1/h/user"}
    client.force_login(gina)
    assert client.post(reverse("accounts:child_add"), CHILD).status_code == 302
    link, request = _consent_link()
    response = client.post(link, CHILD)
    assert response.status_code == 429
    assert Guardianship.objects.filter(guardian=gina).count() == 1
    assert ParentalConsentRequest.objects.filter(pk=request.pk).exists()


def test_it_does_not_count_a_mistyped_form(client, settings, gina):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "child_add": "1/h/user"}
    client.force_login(gina)
    mistyped = {**CHILD, "first_name": ""}
    assert client.post(reverse("accounts:child_add"), mistyped).status_code == 200
    assert client.post(reverse("accounts:child_add"), CHILD).status_code == 302


@pytest.mark.parametrize("value", ["0", "101"])
def test_it_refuses_a_cap_out_of_bounds(monkeypatch, tmp_path, value):
    env = {**production_env(tmp_path), "CLL_MAX_CHILDREN_PER_GUARDIAN": value}
    with pytest.raises(ConfigError, match="CLL_MAX_CHILDREN_PER_GUARDIAN"):
        load_settings(monkeypatch, env)
