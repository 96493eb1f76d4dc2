"""Staff learner pages: field-level least privilege from the data map's readers, audited reads."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from cll.accounts.models import LearnerProfile, User
from cll.accounts.services import profile_create
from cll.accounts.staff_selectors import (
    learner_pages_allowed,
    readable_fields_for,
    staff_roles_of,
)
from cll.privacy.datamap import Role
from cll.privacy.models import AuditEntry
from conftest import staff_login

pytestmark = pytest.mark.django_db

LIST_URL = "/fr/staff/learners/"
ALICE = {
    "first_name": "Alice",
    "last_name": "Vandenberghe",
    "street": "Rue des Wallons 12",
    "postcode": "4877",
    "city": "Ottignies",
    "country": "BE",
    "phone": "+3210123456",
    "objectives": "Pass the Cambridge exam",
    "level": "B1",
    "other_details": "Prefers evenings",
}
ADDRESS = ("Rue des Wallons 12", "Ottignies")


@pytest.fixture
def alice_profile(alice):
    return profile_create(user=alice, data=ALICE)


def detail_url(user) -> str:
    return f"/fr/staff/learners/{user.public_id}/"


@pytest.fixture
def billing(bill):
    return bill


@pytest.fixture
def service(cecile):
    return cecile


@pytest.fixture
def marketing(mark):
    return mark


def test_it_is_at_the_documented_urls(alice):
    assert reverse("staff:learner_list") == LIST_URL
    assert reverse("staff:learner_detail", args=[alice.public_id]) == detail_url(alice)


def test_it_reads_roles_from_active_staff_groups_only(alice, bob, billing):
    assert staff_roles_of(bob) == {Role.TEACHER}
    assert staff_roles_of(billing) == {Role.BILLING}
    assert staff_roles_of(alice) == set()
    billing.is_active = False
    assert staff_roles_of(billing) == set()


def test_it_derives_readable_fields_from_the_data_map():
    assert readable_fields_for([Role.BILLING], LearnerProfile) == [
        "first_name",
        "last_name",
        "street",
        "postcode",
        "city",
        "country",
    ]
    assert "objectives" not in readable_fields_for([Role.CUSTOMER_SERVICE], LearnerProfile)
    assert "phone" in readable_fields_for([Role.CUSTOMER_SERVICE], LearnerProfile)
    assert readable_fields_for([Role.MARKETING], LearnerProfile) == []
    # Nobody reads the password, not even the Administrator.
    assert "password" not in readable_fields_for([Role.ADMINISTRATOR], User)
    assert "email" in readable_fields_for([Role.ADMINISTRATOR], User)


def test_it_requires_login(client, alice_profile, alice):
    for url in (LIST_URL, detail_url(alice)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_it_refuses_a_learner(client, alice_profile, alice, charlie):
    client.force_login(charlie)
    assert client.get(LIST_URL).status_code == 403
    assert client.get(detail_url(alice)).status_code == 403
    assert not AuditEntry.objects.filter(action="learner.read").exists()


def test_it_refuses_marketing(client, alice_profile, alice, marketing):
    assert not learner_pages_allowed(marketing)
    staff_login(client, marketing)
    assert client.get(LIST_URL).status_code == 403
    assert client.get(detail_url(alice)).status_code == 403
    assert not AuditEntry.objects.filter(action="learner.read").exists()


def test_it_requires_a_second_factor(client, alice_profile, billing):
    client.force_login(billing)
    for language in ("fr", "en", "nl"):
        response = client.get(f"/{language}/staff/learners/")
        assert response.status_code == 302
        assert response["Location"] == reverse("mfa_index")


def test_it_shows_a_teacher_no_learner_before_enrolments_exist(client, alice_profile, alice, bob):
    staff_login(client, bob)
    response = client.get(LIST_URL)
    assert response.status_code == 200
    assert "Vandenberghe" not in response.content.decode()
    assert client.get(detail_url(alice)).status_code == 404
    assert not AuditEntry.objects.filter(action="learner.read").exists()


def test_it_shows_billing_the_address_not_the_objectives(client, alice_profile, alice, billing):
    staff_login(client, billing)
    page = client.get(detail_url(alice)).content.decode()
    assert "Vandenberghe" in page
    for value in ADDRESS:
        assert value in page
    assert "Cambridge" not in page
    assert "+3210123456" not in page
    assert "Prefers evenings" not in page


def test_it_shows_customer_service_the_phone_not_address_or_objectives(
    client, alice_profile, alice, service
):
    staff_login(client, service)
    page = client.get(detail_url(alice)).content.decode()
    assert "+3210123456" in page
    assert "alice@example.org" in page
    for hidden in (*ADDRESS, "4877", "Cambridge", "Prefers evenings"):
        assert hidden not in page


def test_it_audits_each_detail_read_with_the_field_names_shown(
    client, alice_profile, alice, service
):
    staff_login(client, service)
    page = client.get(detail_url(alice)).content.decode()
    entry = AuditEntry.objects.filter(action="learner.read").get()
    assert entry.subject == alice.public_id
    assert entry.actor == service.public_id
    assert entry.actor_role == Role.CUSTOMER_SERVICE
    assert entry.fields == ["email", "first_name", "last_name", "phone", "public_id"]
    assert entry.fields == sorted(
        readable_fields_for(service, User) + readable_fields_for(service, LearnerProfile)
    )
    # Names only, never values.
    stored = f"{entry.target} {entry.detail} {entry.route}"
    for value in ("Alice", "Vandenberghe", "+3210123456", "alice@example.org"):
        assert value not in stored
    assert "+3210123456" in page


def test_it_writes_one_entry_per_detail_view(client, alice_profile, alice, billing):
    staff_login(client, billing)
    client.get(detail_url(alice))
    client.get(detail_url(alice))
    assert AuditEntry.objects.filter(action="learner.read", subject=alice.public_id).count() == 2


def test_the_list_shows_only_readable_columns_and_audits_each_row(
    client, alice_profile, alice, charlie, billing, service
):
    profile_create(user=charlie, data={"first_name": "Charlie", "last_name": "Dupont"})
    staff_login(client, service)
    page = client.get(LIST_URL).content.decode()
    assert "Vandenberghe" in page and "Dupont" in page
    for hidden in (*ADDRESS, "Cambridge", "+3210123456", "Prefers evenings"):
        assert hidden not in page
    entries = AuditEntry.objects.filter(action="learner.read")
    assert {entry.subject for entry in entries} == {alice.public_id, charlie.public_id}
    assert all(
        entry.fields == ["email", "first_name", "last_name", "public_id"] for entry in entries
    )


def test_the_list_finds_a_learner_by_exact_email(client, alice_profile, charlie, billing):
    profile_create(user=charlie, data={"first_name": "Charlie", "last_name": "Dupont"})
    staff_login(client, billing)
    page = client.get(LIST_URL, {"email": "Alice@Example.org"}).content.decode()
    assert "Vandenberghe" in page
    assert "Dupont" not in page
    page = client.get(LIST_URL, {"email": "alice@example"}).content.decode()
    assert "Vandenberghe" not in page


def test_the_list_does_not_show_staff_accounts(client, alice_profile, billing, service):
    profile_create(user=service, data={"first_name": "Cecile", "last_name": "Staffmember"})
    staff_login(client, billing)
    assert "Staffmember" not in client.get(LIST_URL).content.decode()


def test_the_admin_does_not_expose_learner_profiles():
    assert not admin.site.is_registered(LearnerProfile)
    assert not admin.site.is_registered(User)


def test_it_shows_the_privacy_officer_every_field_the_data_map_grants(
    client, alice_profile, alice, dora
):
    staff_login(client, dora)
    response = client.get(detail_url(alice).replace("/fr/", "/nl/"))
    assert response.status_code == 200
    page = response.content.decode()
    for value in (*ADDRESS, "Cambridge", "+3210123456", "Prefers evenings"):
        assert value in page
    entry = AuditEntry.objects.filter(action="learner.read").get()
    assert "objectives" in entry.fields
    assert "password" not in entry.fields


def test_a_search_with_a_nul_character_is_refused_with_a_message(client, dora):
    # PostgreSQL cannot compare text holding NUL: the form refuses it before any query.
    staff_login(client, dora)
    response = client.get(reverse("staff:learner_list"), {"email": "a\x00b@example.org"})
    assert response.status_code == 200
    assert response.context["search_errors"]
    assert 'aria-invalid="true"' in response.content.decode()
