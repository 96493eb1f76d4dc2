"""The invitation job: who is invited to rate a session, when, once, and in which words."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from cll.accounts.services import child_add
from cll.feedback import services, tasks
from cll.feedback.models import Invitation
from cll.feedback.tests.helpers import ended_session, enrol, invitation_emails
from cll.lib.tokens import link_token_hash
from cll.privacy.models import AuditEntry
from cll.rights.models import Objection, Restriction
from cll.shop.models import Enrolment, EnrolmentStatus

pytestmark = pytest.mark.django_db


def make_child(guardian, first_name: str = "Lotte"):
    born = timezone.localdate() - dt.timedelta(days=365 * 9 + 5)
    return child_add(
        guardian=guardian,
        data={"first_name": first_name, "last_name": "Peeters", "birth_date": born},
    )


def test_it_invites_the_learners_of_a_session_that_ended_yesterday_once(alice, charlie, settings):
    settings.FEEDBACK_INVITE_AFTER_DAYS = 1
    session = ended_session(1)
    enrol(session, alice, charlie)

    assert tasks.feedback_invitations_send.call() == {"invited": 2}
    assert tasks.feedback_invitations_send.call() == {"invited": 0}

    assert Invitation.objects.filter(session=session).count() == 2
    emails = invitation_emails()
    assert sorted(email.to_address for email in emails) == [alice.email, charlie.email]
    invitation = Invitation.objects.get(learner=alice)
    assert invitation.recipient == alice
    assert AuditEntry.objects.filter(action="feedback.invite", subject=alice.public_id).count() == 1


def test_it_stores_only_the_hash_of_the_link_valid_for_the_link_period(alice, settings):
    settings.FEEDBACK_LINK_DAYS = 30
    with time_machine.travel(dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC), tick=False):
        enrol(ended_session(1), alice)
        services.invitations_send_due()

    invitation = Invitation.objects.order_by("-created_at").first()
    email = invitation_emails()[-1]
    token = email.text_body.split("/feedback/rate/")[1].split("/")[0]
    assert invitation.token_hash == link_token_hash(token)
    assert token not in invitation.token_hash
    assert invitation.expires_at == dt.datetime(2027, 3, 31, 9, 0, tzinfo=dt.UTC)


def test_it_writes_in_the_person_s_language_with_a_link_in_it(alice):
    enrol(ended_session(1, title="Anglais B1"), alice)

    services.invitations_send_due()

    email = invitation_emails()[0]
    assert email.headers["Content-Language"] == "fr"
    assert "FR Anglais B1" in email.subject
    assert "/fr/feedback/rate/" in email.text_body


def test_it_does_not_invite_before_the_session_ended(alice, settings):
    settings.FEEDBACK_INVITE_AFTER_DAYS = 1
    enrol(ended_session(0), alice)  # its last day is today
    enrol(ended_session(-5), alice)  # still running

    assert services.invitations_send_due() == 0
    assert not invitation_emails()


def test_it_does_not_invite_once_the_link_period_is_over(alice, settings):
    settings.FEEDBACK_LINK_DAYS = 30
    enrol(ended_session(30), alice)
    inside = ended_session(29)
    enrol(inside, alice)

    assert services.invitations_send_due() == 1
    assert Invitation.objects.get().session == inside


def test_it_invites_a_session_that_ended_days_ago_when_the_job_missed_days(alice):
    session = ended_session(1)
    enrol(session, alice)

    with time_machine.travel(timezone.now() + dt.timedelta(days=5)):
        assert services.invitations_send_due() == 1


def test_it_skips_cancelled_enrolments(alice):
    session = ended_session(1)
    Enrolment.objects.create(session=session, learner=alice, status=EnrolmentStatus.CANCELLED)

    assert services.invitations_send_due() == 0


def test_a_child_s_invitation_goes_to_the_guardian(gina):
    child = make_child(gina, "Lotte")
    enrol(ended_session(1), child)

    assert services.invitations_send_due() == 1

    invitation = Invitation.objects.get()
    assert invitation.learner == child and invitation.recipient == gina
    [email] = invitation_emails()
    assert email.to_address == gina.email
    assert "Lotte Peeters" in email.text_body
    assert email.person == gina.public_id


def test_an_objection_to_marketing_stops_the_invitation(alice, charlie):
    Objection.objects.create(subject=alice, purpose=Objection.Purpose.MARKETING)
    enrol(ended_session(1), alice, charlie)

    assert services.invitations_send_due() == 1
    assert [email.to_address for email in invitation_emails()] == [charlie.email]


def test_a_restriction_of_processing_stops_the_invitation(alice):
    Restriction.objects.create(subject=alice)
    enrol(ended_session(1), alice)

    assert services.invitations_send_due() == 0


def test_the_guardian_s_objection_stops_the_child_s_invitation(gina):
    child = make_child(gina)
    Objection.objects.create(subject=gina, purpose=Objection.Purpose.MARKETING)
    enrol(ended_session(1), child)

    assert services.invitations_send_due() == 0


def test_an_inactive_account_is_not_written_to(alice):
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    enrol(ended_session(1), alice)

    assert services.invitations_send_due() == 0


def test_a_second_invitation_for_the_same_learner_is_refused_and_sends_nothing(alice):
    # What a concurrent run meets: the unique constraint refuses its insert, and the e-mail
    # queued in the same transaction goes with it.
    session = ended_session(1)
    enrol(session, alice)
    assert services.invitation_create(session=session, learner=alice, recipient=alice)

    assert services.invitation_create(session=session, learner=alice, recipient=alice) is None

    assert Invitation.objects.count() == 1
    assert len(invitation_emails()) == 1


def test_a_script_in_the_session_title_is_inert_in_the_e_mail(alice):
    session = ended_session(1, title='<script>alert("x")</script>')
    enrol(session, alice)

    services.invitations_send_due()

    [email] = invitation_emails()
    assert "<script>" not in email.html_body
    assert "&lt;script&gt;" in email.html_body
