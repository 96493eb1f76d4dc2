"""Erasing a guardian: children who could not take their account over and have no other
guardian are erased too (after the guardian saw the list and confirmed); the others keep their
account; the guardian's guardianships end."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse as reverse_in_current_language
from django.utils import timezone, translation

from cll.accounts.models import Guardianship, LearnerProfile, User
from cll.accounts.services import child_add
from cll.core.models import DataKey
from cll.erasure.services import erasure_execute
from cll.privacy.models import AuditEntry
from conftest import PASSWORD

pytestmark = pytest.mark.django_db


def reverse(name, args=None) -> str:
    with translation.override("en"):
        return reverse_in_current_language(name, args=args)


def _years_ago(years: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=365 * years + 5)


def _child(guardian, first_name: str, years: int) -> User:
    return child_add(
        guardian=guardian,
        data={"first_name": first_name, "last_name": "Peeters", "birth_date": _years_ago(years)},
    )


@pytest.fixture
def family(gina, charlie):
    young = _child(gina, "Lotte", 9)
    teen = _child(gina, "Jonas", 15)
    shared = _child(gina, "Emma", 8)
    Guardianship.objects.create(guardian=charlie, child=shared, policy_version="test")
    return {"young": young, "teen": teen, "shared": shared}


def test_it_erases_young_children_without_another_guardian_and_keeps_the_others(
    gina, charlie, family
):
    young, teen, shared = family["young"], family["teen"], family["shared"]

    report = erasure_execute(subject=gina)

    assert report.wards_erased == [young.public_id]
    young.refresh_from_db()
    assert young.email.startswith("erased-") and not young.is_active
    assert not LearnerProfile.objects.filter(user=young).exists()
    assert DataKey.objects.get(subject=young.public_id).destroyed_at is not None
    (entry,) = AuditEntry.objects.filter(action="erasure.execute", subject=young.public_id)
    assert entry.actor == gina.public_id and entry.detail["reason"] == "guardian-erased"

    # The teenager keeps the account, now unmanaged; the shared child keeps the other guardian.
    assert LearnerProfile.objects.get(user=teen).first_name == "Jonas"
    assert LearnerProfile.objects.get(user=shared).first_name == "Emma"
    assert not Guardianship.objects.filter(guardian=gina).exists()
    assert list(Guardianship.objects.values_list("guardian", "child")) == [(charlie.pk, shared.pk)]
    assert AuditEntry.objects.filter(action="guardianship.end", subject=teen.public_id).exists()
    gina.refresh_from_db()
    assert gina.email.startswith("erased-")


def test_the_delete_page_lists_the_children_and_asks_for_confirmation(gina, family):
    client = Client()
    client.force_login(gina)
    page = client.get(reverse("erasure:account_delete"))
    text = page.content.decode()
    assert "Lotte Peeters" in text
    assert "Jonas Peeters" in text and "Emma Peeters" in text
    assert [c["name"] for c in page.context["wards_erased"]] == ["Lotte Peeters"]

    # The password alone is not enough while children would be erased.
    response = client.post(reverse("erasure:account_delete"), {"password": PASSWORD})
    assert response.status_code == 200
    assert "Please confirm that your children" in response.content.decode()
    assert LearnerProfile.objects.filter(user=family["young"]).exists()
    gina.refresh_from_db()
    assert gina.is_active

    response = client.post(
        reverse("erasure:account_delete"), {"password": PASSWORD, "confirm_wards": "on"}
    )
    assert response.status_code == 302
    assert not LearnerProfile.objects.filter(user=family["young"]).exists()
    assert LearnerProfile.objects.filter(user=family["teen"]).exists()


def test_the_grace_period_page_lists_the_children_too(gina, family):
    client = Client()
    client.force_login(gina)
    page = client.get(reverse("erasure:request"))
    assert [c["name"] for c in page.context["wards_erased"]] == ["Lotte Peeters"]
    assert {c["name"] for c in page.context["wards_kept"]} == {"Jonas Peeters", "Emma Peeters"}
    response = client.post(reverse("erasure:request"), {"password": PASSWORD})
    assert "Please confirm that your children" in response.content.decode()


def test_a_person_without_children_is_not_asked_to_confirm(alice):
    client = Client()
    client.force_login(alice)
    page = client.get(reverse("erasure:account_delete"))
    assert "confirm_wards" not in page.context["form"].fields
    assert page.context["wards_erased"] == [] and page.context["wards_kept"] == []


def test_a_guardian_deleting_one_child_uses_the_same_erasure(gina, family):
    client = Client()
    client.force_login(gina)
    young = family["young"]
    assert client.get(reverse("erasure:child_delete", args=[young.public_id])).status_code == 200
    response = client.post(reverse("erasure:child_delete", args=[young.public_id]))
    assert response.status_code == 302
    (entry,) = AuditEntry.objects.filter(action="erasure.execute", subject=young.public_id)
    assert entry.actor == gina.public_id and entry.detail["reason"] == "account.delete"
    # Someone else's child: 404, nothing erased.
    teen = family["teen"]
    stranger = Client()
    stranger.force_login(User.objects.create_user(email="x@example.org", password=PASSWORD))
    assert stranger.post(reverse("erasure:child_delete", args=[teen.public_id])).status_code == 404
    assert LearnerProfile.objects.filter(user=teen).exists()


def test_nobody_else_sees_the_children(charlie, family):
    # charlie shares one child with gina: he sees that child, never gina's others.
    client = Client()
    client.force_login(charlie)
    page = client.get(reverse("erasure:request"))
    text = page.content.decode()
    assert [c["name"] for c in page.context["wards_erased"]] == []
    assert [c["name"] for c in page.context["wards_kept"]] == ["Emma Peeters"]
    assert "Lotte" not in text and "Jonas" not in text
