"""The profile page: login required, own data only, changes effective at once and audited."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from cll.accounts.models import PROFILE_FIELDS, LearnerProfile
from cll.accounts.selectors import profile_history_for, profile_page_for
from cll.accounts.services import profile_create, profile_update
from cll.privacy.models import AuditEntry
from cll.privacy.services import audit_record

pytestmark = pytest.mark.django_db

URL = "/fr/account/profile/"
DATA = {"first_name": "Alice", "last_name": "Vandenberghe", "city": "Namur", "postcode": "5000"}


@pytest.fixture
def alice_profile(alice):
    return profile_create(user=alice, data=DATA)


def test_it_is_at_the_documented_url():
    assert reverse("accounts:profile") == URL


def test_it_requires_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_it_shows_only_the_signed_in_persons_data(client, alice_profile, charlie):
    profile_create(user=charlie, data={"first_name": "Charlie", "last_name": "Dupont"})
    client.force_login(charlie)
    page = client.get(URL).content.decode()
    assert "Charlie" in page
    assert "Vandenberghe" not in page
    assert "Namur" not in page


def test_it_is_not_cached(client, alice_profile, alice):
    client.force_login(alice)
    assert "no-store" in client.get(URL)["Cache-Control"]


def test_it_applies_a_change_at_once_and_audits_field_names_only(client, alice_profile, alice):
    client.force_login(alice)
    # What the page's form sends: the fields shown, the suggestions switch left on.
    response = client.post(
        URL,
        {**DATA, "city": "Liège", "postcode": "4000", "phone": "", "recommendations_enabled": "on"},
    )
    assert response.status_code == 302
    assert response["Location"] == URL
    page = client.get(URL).content.decode()
    assert "Liège" in page

    entry = AuditEntry.objects.filter(action="profile.update").get()
    assert entry.subject == alice.public_id
    assert entry.actor == alice.public_id
    assert sorted(entry.fields) == ["city", "postcode"]
    assert "Liège" not in str(entry.detail) + entry.target
    # The history on the page lists when and which fields, by their (translated) labels.
    assert "<td>localité, code postal</td>" in page


def test_it_refuses_bad_input_and_keeps_the_old_values(client, alice_profile, alice):
    client.force_login(alice)
    response = client.post(URL, {**DATA, "city": "Liège", "phone": "not a phone"})
    assert response.status_code == 200
    assert "phone" in response.context["form"].errors
    assert LearnerProfile.objects.get(user=alice).city == "Namur"
    assert not AuditEntry.objects.filter(action="profile.update").exists()


def test_it_writes_nothing_when_nothing_changed(alice_profile, alice):
    profile_update(user=alice, data=DATA, actor=alice)
    assert not AuditEntry.objects.filter(action="profile.update").exists()


def test_it_lists_the_history_of_the_person_only(alice_profile, alice, charlie):
    profile_create(user=charlie, data={"first_name": "Charlie", "last_name": "Dupont"})
    profile_update(user=alice, data={**DATA, "level": "B2"}, actor=alice)
    history = list(profile_history_for(alice))
    assert [entry.action for entry in history] == ["profile.update", "profile.create"]
    assert history[0].fields == ["level"]
    assert all(entry.subject == alice.public_id for entry in history)


def test_the_page_lists_the_changed_fields_by_their_labels_never_their_values(
    client, alice_profile, alice
):
    profile_update(user=alice, data={**DATA, "level": "B2", "city": "Dinant"}, actor=alice)
    # A change recorded for a field the profile no longer has is listed by its name.
    audit_record(
        actor=alice,
        subject=alice,
        action="profile.update",
        target=alice_profile,
        fields=["fax_number"],
    )
    client.force_login(alice)
    page = client.get("/nl/account/profile/").content.decode()
    history = page[page.index('class="profile-history"') :]
    history = history[: history.index("</section>")]
    assert "<td>gemeente, niveau (ERK)</td>" in history and "<td>fax_number</td>" in history
    assert "Dinant" not in history and "B2" not in history


def test_the_page_reads_the_persons_own_values_as_the_model_holds_them(alice_profile, alice):
    # profile_page_for: the form's values without a model instance, decrypted, the same as
    # the model's; None for someone without a profile.
    profile_update(
        user=alice,
        data={**DATA, "birth_date": datetime.date(1990, 5, 17), "level": "B1"},
        actor=alice,
    )
    profile = LearnerProfile.objects.get(user=alice)
    values = profile_page_for(user=alice).values
    assert values == {name: getattr(profile, name) for name in PROFILE_FIELDS}
    assert values["birth_date"] == datetime.date(1990, 5, 17)


def test_someone_without_a_profile_has_no_values(charlie):
    assert profile_page_for(user=charlie).values is None
