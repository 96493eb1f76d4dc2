"""Saving the estimated level to one's profile: signed in, only on agreement, audited, the
level from the session's test (never from the form), the person's own profile only."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from cll.accounts.models import LearnerProfile
from cll.accounts.services import profile_create
from cll.courses.tests.factories import make_language
from cll.placement.tests.helpers import take_test
from cll.privacy.models import AuditEntry
from conftest import status_text

pytestmark = pytest.mark.django_db

PROFILE = {"first_name": "Alice", "last_name": "Lambert", "city": "Namur", "level": "A2"}


@pytest.fixture
def english():
    return make_language("en")


@pytest.fixture
def alice_profile(alice):
    return profile_create(user=alice, data=PROFILE)


def _url(name: str, ui: str = "fr") -> str:
    with translation.override(ui):
        return reverse(f"placement:{name}", args=["en"])


def _level(user) -> str:
    return LearnerProfile.objects.get(user=user).level


def test_it_requires_login(client, english):
    take_test(client, "en", [4, 4, 1])
    response = client.post(_url("level_save"), {"agree": "yes"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_it_accepts_post_only(client, english, alice, alice_profile):
    client.force_login(alice)
    take_test(client, "en", [4, 4, 1])
    assert client.get(_url("level_save")).status_code == 405
    assert _level(alice) == "A2"


def test_it_offers_the_choice_to_a_signed_in_learner(client, english, alice, alice_profile):
    client.force_login(alice)
    take_test(client, "en", [4, 4, 4, 1])
    page = client.get(_url("result", ui="en")).content.decode()
    assert 'id="placement-agree"' in page
    assert "Yes, save B1 as the level in my profile" in page
    # Offering is not saving.
    assert _level(alice) == "A2"
    assert not AuditEntry.objects.filter(action="profile.update").exists()


def test_it_saves_nothing_without_agreement(client, english, alice, alice_profile):
    client.force_login(alice)
    take_test(client, "en", [4, 4, 4, 1])
    response = client.post(_url("level_save", ui="en"), {})
    assert response.status_code == 200
    assert "Tick the box to save this level to your profile." in response.content.decode()
    assert _level(alice) == "A2"
    assert not AuditEntry.objects.filter(action="profile.update").exists()


def test_it_saves_the_level_on_agreement_with_an_audit_entry(client, english, alice, alice_profile):
    client.force_login(alice)
    take_test(client, "en", [4, 4, 4, 1])
    response = client.post(_url("level_save", ui="en"), {"agree": "yes"}, follow=True)
    assert response.redirect_chain[-1][0] == _url("result", ui="en")
    assert "Your level (B1) has been saved to your profile." in status_text(
        response.content.decode()
    )
    profile = LearnerProfile.objects.get(user=alice)
    assert profile.level == "B1"
    # The rest of the profile is untouched.
    assert (profile.first_name, profile.last_name, profile.city) == ("Alice", "Lambert", "Namur")
    entry = AuditEntry.objects.filter(action="profile.update").get()
    assert entry.subject == alice.public_id
    assert entry.actor == alice.public_id
    assert entry.fields == ["level"]
    assert "B1" not in str(entry.detail) + entry.target


def test_it_takes_the_level_from_the_test_never_from_the_form(
    client, english, alice, alice_profile
):
    client.force_login(alice)
    take_test(client, "en", [4, 1])
    client.post(_url("level_save"), {"agree": "yes", "level": "C2"})
    assert _level(alice) == "A1"


def test_it_writes_nothing_when_the_level_is_already_saved(client, english, alice, alice_profile):
    client.force_login(alice)
    take_test(client, "en", [4, 4, 1])
    response = client.post(_url("level_save", ui="en"), {"agree": "yes"}, follow=True)
    assert "Your profile already gives A2 as your level." in status_text(response.content.decode())
    assert not AuditEntry.objects.filter(action="profile.update").exists()


def test_it_needs_a_finished_test(client, english, alice, alice_profile):
    client.force_login(alice)
    take_test(client, "en", [4, 4])
    response = client.post(_url("level_save"), {"agree": "yes"})
    assert response["Location"] == _url("stage")
    assert _level(alice) == "A2"


def test_it_changes_only_the_signed_in_persons_profile(
    client, english, alice, alice_profile, charlie
):
    profile_create(user=charlie, data={"first_name": "Charlie", "last_name": "Dupont"})
    client.force_login(charlie)
    take_test(client, "en", [4, 4, 4, 4, 4, 4])
    client.post(_url("level_save"), {"agree": "yes"})
    assert _level(charlie) == "C2"
    assert _level(alice) == "A2"
    entry = AuditEntry.objects.filter(action="profile.update").get()
    assert entry.subject == charlie.public_id
    page = client.get(_url("result")).content.decode()
    assert "Lambert" not in page


def test_it_explains_when_the_account_has_no_learner_profile(client, english, charlie):
    client.force_login(charlie)
    take_test(client, "en", [4, 1])
    response = client.post(_url("level_save", ui="en"), {"agree": "yes"}, follow=True)
    assert "Your account has no learner profile to save a level to." in status_text(
        response.content.decode()
    )
    assert not LearnerProfile.objects.filter(user=charlie).exists()


def test_it_keeps_a_visitors_result_through_sign_in(client, english, alice, alice_profile):
    take_test(client, "en", [4, 4, 4, 4, 1])
    client.force_login(alice)
    response = client.post(_url("level_save"), {"agree": "yes"})
    assert response["Location"] == _url("result")
    assert _level(alice) == "B2"
