"""Acceptance: a material change to the privacy policy, with frozen time (issue 5, item 7).

Publish → e-mails queued to every user, each once → one user objects within 30 days (recorded,
the notice goes) → after 30 days the others are deemed to accept → the new consent purpose
stays off for everyone who did not opt in, on for the one who did.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from cll.core.models import OutboxEmail
from cll.policies import selectors
from cll.policies.models import PolicyResponse, PolicyVersion
from cll.policies.selectors import purpose_opted_in
from cll.policies.tasks import policy_announce_task, policy_deemed_task
from cll.policies.tests.helpers import CHANGES, TEXTS, published
from cll.privacy.models import AuditEntry
from conftest import staff_login

pytestmark = pytest.mark.django_db

NOTICE = "data-policy-notice"


def _publish_through_the_staff_page(client, officer, purpose: str) -> PolicyVersion:
    staff_login(client, officer)
    response = client.post(
        "/en/staff/policies/new/",
        {
            "kind": "privacy",
            "version": "2027-01",
            **{f"body_{lang}": text for lang, text in TEXTS.items()},
            **{f"changes_{lang}": text for lang, text in CHANGES.items()},
            "material": "on",
            "affects_existing_processing": "on",
            "new_consent_purposes": [purpose],
            "action": "publish",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    client.logout()
    return PolicyVersion.objects.get(kind="privacy", version="2027-01")


def _emails_per_person(version_kind="emails/policy_change") -> dict:
    counts: dict = {}
    for person in OutboxEmail.objects.filter(kind=version_kind).values_list("person", flat=True):
        counts[person] = counts.get(person, 0) + 1
    return counts


def test_it_runs_a_material_change_from_publication_to_deemed_acceptance(
    client, alice, charlie, gina, dora, new_purpose
):
    start = timezone.now() + dt.timedelta(days=1)
    people = [alice, charlie, gina, dora]
    with time_machine.travel(start, tick=False):
        version = _publish_through_the_staff_page(client, dora, new_purpose)

        assert version.published_at == start
        assert version.effective_at == start + dt.timedelta(days=30)
        assert selectors.policy_version_current("privacy") == "2027-01"
        assert AuditEntry.objects.filter(action="policy.publish", actor=dora.public_id).exists()

        # Announced in batches; running the task again writes to nobody twice.
        assert policy_announce_task.call(str(version.public_id)) == len(people)
        assert policy_announce_task.call(str(version.public_id)) == 0
        assert _emails_per_person() == {person.public_id: 1 for person in people}
        version.refresh_from_db()
        assert version.announced_at == start
        email = OutboxEmail.objects.get(kind="emails/policy_change", person=alice.public_id)
        assert email.to_address == alice.email
        assert CHANGES["en"] in email.text_body and CHANGES["nl"] in email.text_body

        client.force_login(alice)
        assert NOTICE in client.get("/en/").content.decode()

    # Alice objects on day 10: recorded, the notice goes, the privacy team is told.
    with time_machine.travel(start + dt.timedelta(days=10), tick=False):
        client.force_login(alice)
        response = client.post(
            f"/en/policies/respond/{version.public_id}/", {"action": "object", "next": "/en/"}
        )
        assert response.status_code == 302
        assert response["Location"] == "/en/"
        answer = PolicyResponse.objects.get(version=version, user=alice)
        assert answer.decision == PolicyResponse.Decision.OBJECTED
        assert AuditEntry.objects.filter(action="policy.object", subject=alice.public_id).exists()
        assert NOTICE not in client.get("/en/").content.decode()
        assert OutboxEmail.objects.filter(kind="policy_objection").count() == 1
        assert selectors.policy_objected(user=alice)

    # Gina accepts on day 12 and ticks the new purpose.
    with time_machine.travel(start + dt.timedelta(days=12), tick=False):
        client.force_login(gina)
        client.post(
            f"/en/policies/respond/{version.public_id}/",
            {"action": "accept", "purposes": [new_purpose]},
        )
        assert PolicyResponse.objects.get(version=version, user=gina).decision == "accepted"
        assert AuditEntry.objects.filter(action="policy.accept", subject=gina.public_id).exists()

    # Day 29: the period is still open, nothing is deemed; Charlie still sees the notice.
    with time_machine.travel(start + dt.timedelta(days=29), tick=False):
        assert policy_deemed_task.call() == {"announced": 0, "deemed": 0}
        client.force_login(charlie)
        assert NOTICE in client.get("/en/").content.decode()

    # Day 31: the others are deemed to accept; the notice is gone.
    with time_machine.travel(start + dt.timedelta(days=31), tick=False):
        assert policy_deemed_task.call() == {"announced": 0, "deemed": 2}
        decisions = dict(
            PolicyResponse.objects.filter(version=version).values_list("user", "decision")
        )
        assert decisions == {
            alice.pk: "objected",
            gina.pk: "accepted",
            charlie.pk: "deemed",
            dora.pk: "deemed",
        }
        deemed = AuditEntry.objects.filter(action="policy.deemed")
        assert set(deemed.values_list("subject", flat=True)) == {charlie.public_id, dora.public_id}
        assert NOTICE not in client.get("/en/").content.decode()
        # A second run records nothing more.
        assert policy_deemed_task.call() == {"announced": 0, "deemed": 0}

        # Silence is not consent: the new purpose is on only for the one who opted in.
        assert purpose_opted_in(user=gina, purpose=new_purpose)
        for person in (alice, charlie, dora):
            assert not purpose_opted_in(user=person, purpose=new_purpose)


def test_it_never_deems_acceptance_of_a_change_that_only_adds_consent_purposes(
    alice, dora, new_purpose
):
    start = timezone.now() + dt.timedelta(days=1)
    with time_machine.travel(start, tick=False):
        version = published(
            dora, affects_existing_processing=False, new_consent_purposes=(new_purpose,)
        )
        policy_announce_task.call(str(version.public_id))
    with time_machine.travel(start + dt.timedelta(days=40), tick=False):
        assert policy_deemed_task.call()["deemed"] == 0
        assert PolicyResponse.objects.get(version=version, user=alice).decision == ""
        assert not purpose_opted_in(user=alice, purpose=new_purpose)


def test_it_tells_only_people_who_had_an_account_before_the_change(client, alice, dora):
    start = timezone.now() + dt.timedelta(days=1)
    with time_machine.travel(start, tick=False):
        version = published(dora)
    with time_machine.travel(start + dt.timedelta(hours=1), tick=False):
        newcomer = type(alice).objects.create_user(email="newcomer@example.org", password="x" * 20)
        policy_announce_task.call(str(version.public_id))
        assert newcomer.public_id not in _emails_per_person()
        client.force_login(newcomer)
        assert NOTICE not in client.get("/en/").content.decode()
    with time_machine.travel(start + dt.timedelta(days=31), tick=False):
        policy_deemed_task.call()
        assert not PolicyResponse.objects.filter(user=newcomer).exists()


def test_it_does_not_tell_deactivated_accounts(alice, charlie, dora):
    charlie.is_active = False
    charlie.save(update_fields=["is_active"])
    with time_machine.travel(timezone.now() + dt.timedelta(days=1), tick=False):
        version = published(dora)
        policy_announce_task.call(str(version.public_id))
    assert charlie.public_id not in _emails_per_person()
    assert alice.public_id in _emails_per_person()


def test_it_does_not_announce_a_change_that_is_not_material(alice, dora):
    with time_machine.travel(timezone.now() + dt.timedelta(days=1), tick=False):
        version = published(dora, material=False, affects_existing_processing=False)
        assert policy_announce_task.call(str(version.public_id)) == 0
        assert version.effective_at == version.published_at
    assert _emails_per_person() == {}


def test_it_resumes_an_announcement_a_lost_task_left_unfinished(alice, charlie, dora):
    with time_machine.travel(timezone.now() + dt.timedelta(days=1), tick=False):
        version = published(dora)
        # The enqueued task was lost: the daily job announces it.
        assert policy_deemed_task.call()["announced"] == 3
        assert policy_deemed_task.call()["announced"] == 0
    assert len(_emails_per_person()) == 3
    version.refresh_from_db()
    assert version.announced_at is not None


def test_it_needs_a_signed_in_person_and_post_to_answer(client, alice, dora):
    with time_machine.travel(timezone.now() + dt.timedelta(days=1), tick=False):
        version = published(dora)
        url = f"/en/policies/respond/{version.public_id}/"
        anonymous = client.post(url, {"action": "accept"})
        assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
        client.force_login(alice)
        assert client.get(url).status_code == 405
        assert client.post(url, {"action": "delete-everything"}).status_code == 404
        assert not PolicyResponse.objects.filter(user=alice).exists()


def test_it_does_not_follow_an_outside_next_address(client, alice, dora):
    with time_machine.travel(timezone.now() + dt.timedelta(days=1), tick=False):
        version = published(dora)
        client.force_login(alice)
        response = client.post(
            f"/en/policies/respond/{version.public_id}/",
            {"action": "accept", "next": "https://evil.example/"},
        )
        assert response.status_code == 302
        assert response["Location"] == version.get_absolute_url()


def test_it_refuses_answers_to_a_draft(client, alice, dora):
    from cll.policies import services
    from cll.privacy.datamap import Role

    draft = services.policy_version_draft_save(
        actor=dora,
        role=Role.PRIVACY_OFFICER,
        kind="privacy",
        version="draft-1",
        bodies=TEXTS,
        changes=CHANGES,
        material=True,
        affects_existing_processing=True,
        new_consent_purposes=[],
    )
    client.force_login(alice)
    response = client.post(f"/en/policies/respond/{draft.public_id}/", {"action": "accept"})
    assert response.status_code == 404
