"""Helpers of the feedback tests: sessions that ended, enrolments, invitations and their links."""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone

from cll.core.models import OutboxEmail
from cll.courses.tests.factories import make_session
from cll.feedback import services
from cll.feedback.models import Invitation
from cll.shop.models import Enrolment

LINK = re.compile(r"https?://\S+/feedback/rate/([A-Za-z0-9_\-]+)/")


def ended_session(days_ago: int = 1, *, teacher=None, title: str | None = None):
    """A session whose last day was ``days_ago`` days ago (negative: still running)."""
    today = timezone.localdate()
    session = make_session(first_day=today - dt.timedelta(days=60), title=title)
    session.ends_on = today - dt.timedelta(days=days_ago)
    session.teacher = teacher
    session.save(update_fields=["ends_on", "teacher"])
    return session


def enrol(session, *learners):
    for learner in learners:
        Enrolment.objects.create(session=session, learner=learner)


def invitation_emails() -> list[OutboxEmail]:
    return list(
        OutboxEmail.objects.filter(kind="emails/feedback_invitation").order_by("created_at")
    )


def token_of(email: OutboxEmail) -> str:
    return LINK.search(email.text_body).group(1)


def invite(session, learner) -> tuple[Invitation, str]:
    """Invite ``learner`` (the job's own code) and return the invitation and its link's token."""
    before = {email.pk for email in invitation_emails()}
    invitation = services.invitation_create(
        session=session, learner=learner, recipient=services.invitation_recipient(learner)
    )
    email = next(email for email in invitation_emails() if email.pk not in before)
    return invitation, token_of(email)
