"""scripts/run.sh shows feedback in use: ``load_demo_feedback`` ends two demo sessions in the
past with their learners enrolled by paid orders, invites them (the job's own code, e-mails
through the outbox), records most answers with comments and leaves sofia one to give, and
spreads feedback on our services over a year, so the staff results page has figures and charts.
Running it twice changes nothing."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models.functions import TruncMonth
from django.utils import timezone

from cll.accounts.models import User
from cll.core.models import OutboxEmail
from cll.courses.models import Session
from cll.feedback import demo
from cll.feedback.models import Invitation, ServiceFeedback, SessionRating
from cll.privacy.models import AuditEntry
from cll.shop.models import Enrolment, EnrolmentStatus
from conftest import staff_login

pytestmark = pytest.mark.django_db


def load_school() -> None:
    call_command("load_demo", sessions=12, stdout=io.StringIO())
    call_command("load_demo_accounts", stdout=io.StringIO())
    call_command("load_demo_shop", stdout=io.StringIO(), stderr=io.StringIO())


def load_feedback() -> str:
    out = io.StringIO()
    call_command("load_demo_feedback", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        "invitations": Invitation.objects.count(),
        "ratings": SessionRating.objects.count(),
        "service": ServiceFeedback.objects.count(),
        "enrolments": Enrolment.objects.count(),
        "audit": AuditEntry.objects.count(),
        "outbox": OutboxEmail.objects.count(),
    }


def test_it_fills_feedback_through_the_services_once():
    load_school()
    output = load_feedback()
    assert "5 ratings, 16 service feedback" in output
    first = counts()

    assert "0 ratings, 0 service feedback" in load_feedback()
    assert counts() == first

    today = timezone.localdate()
    sessions = Session.objects.filter(slug__in=[plan.slug for plan in demo.SESSIONS])
    assert sessions.count() == 2
    for session in sessions:
        # Ended in the past, its lessons with it, its learners enrolled by a paid order.
        assert session.ends_on < today
        assert not session.courses.filter(date__gt=session.ends_on).exists()
        enrolled = Enrolment.objects.filter(session=session, status=EnrolmentStatus.ACTIVE)
        assert enrolled.count() == 3
        assert Invitation.objects.filter(session=session).count() == 3
    # Invited through the job's code: one e-mail per invitation, an audit entry per answer.
    assert OutboxEmail.objects.filter(kind="emails/feedback_invitation").count() == 6
    assert AuditEntry.objects.filter(action="feedback.rate").count() == 5
    assert AuditEntry.objects.filter(action="feedback.service").count() == 16


def test_sofia_has_a_session_left_to_rate_and_gina_answered_for_her_child():
    load_school()
    load_feedback()
    sofia = User.objects.get(email="sofia@demo.cll.be")
    gina = User.objects.get(email="gina@demo.cll.be")
    unanswered = Invitation.objects.filter(rating__isnull=True)
    assert list(unanswered.values_list("recipient", flat=True)) == [sofia.pk]
    for_child = SessionRating.objects.get(invitation__recipient=gina)
    assert for_child.learner != gina and for_child.comment


def test_feedback_on_services_spans_several_months():
    load_school()
    load_feedback()
    months = (
        ServiceFeedback.objects.annotate(month=TruncMonth("created_at"))
        .values_list("month", flat=True)
        .distinct()
    )
    assert len(set(months)) >= 8


def test_the_staff_results_show_the_demo_sessions(client, cecile):
    load_school()
    load_feedback()
    staff_login(client, cecile)
    page = client.get("/en/staff/feedback/").content.decode()
    for plan in demo.SESSIONS:
        assert plan.titles["en"] in page
    assert "<img" in page  # the chart of feedback on services


def test_it_asks_for_the_demo_school_first():
    with pytest.raises(CommandError, match="load_demo"):
        call_command("load_demo_feedback", stdout=io.StringIO())


def test_it_refuses_to_run_in_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        call_command("load_demo_feedback", stdout=io.StringIO())
