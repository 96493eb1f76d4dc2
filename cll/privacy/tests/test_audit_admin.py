"""The ledger in the admin: readable by those allowed to, changeable by nobody."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from cll.privacy.services import audit_record
from conftest import staff_login

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:privacy_auditentry_changelist")


@pytest.fixture
def auditor(client, dora):
    dora.user_permissions.add(Permission.objects.get(codename="view_auditentry"))
    staff_login(client, dora)
    return client


@pytest.fixture
def entries(alice, bob, charlie):
    return {
        "alice": audit_record(actor=bob, role="Teacher", subject=alice, action="grades.read"),
        "charlie": audit_record(subject=charlie, action="consent.given"),
    }


def test_it_asks_a_visitor_to_log_in(client):
    response = client.get(CHANGELIST)

    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_it_sends_a_learner_to_the_admin_login(client, charlie, entries):
    client.force_login(charlie)

    response = client.get(CHANGELIST)

    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_it_hides_the_ledger_from_staff_without_the_permission(client, bob, entries):
    staff_login(client, bob)

    assert client.get(CHANGELIST).status_code == 403


def test_it_lists_entries_filtered_by_action(auditor, entries):
    response = auditor.get(CHANGELIST, {"action": "consent.given"})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [entries["charlie"]]


def test_it_searches_by_subject_or_actor_public_id(auditor, entries, alice, bob):
    by_subject = auditor.get(CHANGELIST, {"q": str(alice.public_id)})
    by_actor = auditor.get(CHANGELIST, {"q": str(bob.public_id)})
    not_an_id = auditor.get(CHANGELIST, {"q": "alice"})

    assert list(by_subject.context["cl"].result_list) == [entries["alice"]]
    assert list(by_actor.context["cl"].result_list) == [entries["alice"]]
    assert list(not_an_id.context["cl"].result_list) == []


def test_it_shows_an_entry_read_only_even_to_a_superuser(admin_client, entries):
    entry = entries["alice"]
    url = reverse("admin:privacy_auditentry_change", args=[entry.pk])

    page = admin_client.get(url)
    post = admin_client.post(url, {"action": "nothing.happened"})

    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert post.status_code == 403
    assert admin_client.get(reverse("admin:privacy_auditentry_add")).status_code == 403
    delete_url = reverse("admin:privacy_auditentry_delete", args=[entry.pk])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    entry.refresh_from_db()
    assert entry.action == "grades.read"
