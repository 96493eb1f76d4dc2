"""A person's choices about purposes based on consent that a policy change introduced, and the
notice shown on every page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cll.policies.models import PurposeConsent
from cll.policies.selectors import purpose_opted_in
from cll.policies.tests.helpers import published
from cll.privacy.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def change(django_user_model, alice, charlie, dora, new_purpose):
    # Everyone had an account before the change.
    django_user_model.objects.update(date_joined=timezone.now() - dt.timedelta(days=1))
    return published(dora, new_consent_purposes=(new_purpose,))


def test_it_keeps_a_new_purpose_off_until_the_person_opts_in(client, alice, change, new_purpose):
    assert not purpose_opted_in(user=alice, purpose=new_purpose)
    client.force_login(alice)

    page = client.get("/en/policies/choices/").content.decode()
    assert "Recommending courses from your learning history." in page
    assert "Turn on" in page

    response = client.post("/en/policies/choices/", {"purpose": new_purpose, "opted_in": "1"})
    assert response.status_code == 302
    assert purpose_opted_in(user=alice, purpose=new_purpose)
    assert AuditEntry.objects.filter(action="policy.opt_in", subject=alice.public_id).exists()

    client.post("/en/policies/choices/", {"purpose": new_purpose, "opted_in": "0"})
    assert not purpose_opted_in(user=alice, purpose=new_purpose)
    assert AuditEntry.objects.filter(action="policy.opt_out", subject=alice.public_id).exists()


def test_it_refuses_a_purpose_no_policy_introduced(client, alice, change):
    client.force_login(alice)

    response = client.post("/en/policies/choices/", {"purpose": "account", "opted_in": "1"})

    assert response.status_code == 200
    assert not PurposeConsent.objects.exists()


def test_it_asks_anonymous_visitors_to_sign_in_for_their_choices(client):
    response = client.get("/en/policies/choices/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_it_keeps_one_persons_choice_from_another(client, alice, charlie, change, new_purpose):
    client.force_login(alice)
    client.post("/en/policies/choices/", {"purpose": new_purpose, "opted_in": "1"})

    assert not purpose_opted_in(user=charlie, purpose=new_purpose)


def test_it_withdraws_the_new_purposes_of_someone_who_objects(client, alice, change, new_purpose):
    client.force_login(alice)
    client.post(
        f"/en/policies/respond/{change.public_id}/",
        {"action": "accept", "purposes": [new_purpose]},
    )
    assert purpose_opted_in(user=alice, purpose=new_purpose)

    client.post(f"/en/policies/respond/{change.public_id}/", {"action": "object"})

    assert not purpose_opted_in(user=alice, purpose=new_purpose)


def test_it_shows_the_notice_with_one_click_actions(client, alice, change, new_purpose):
    client.force_login(alice)

    html = client.get("/en/").content.decode()
    start = html.index("data-policy-notice")
    notice = html[start : html.index("</section>", start)]

    assert "We add course recommendations." in notice
    assert 'value="accept"' in notice and 'value="object"' in notice
    assert "/en/account/profile/deactivate/" in notice
    assert "/en/account/profile/delete/" in notice
    # The new purpose is offered, unticked: silence is not consent.
    assert f'value="{new_purpose}">' in notice
    assert "checked" not in notice
    assert "no-store" in client.get("/en/").headers.get("Cache-Control", "")


def test_it_costs_anonymous_pages_no_query_and_shows_them_no_notice(client, change):
    client.get("/en/")  # warm the page cache
    with CaptureQueriesContext(connection) as queries:
        html = client.get("/en/").content.decode()

    assert "data-policy-notice" not in html
    assert not [query for query in queries if "policies_" in query["sql"]]
