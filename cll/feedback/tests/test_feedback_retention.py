"""Retention of feedback: expired links lose their token; after the period, comments go and
ratings stay only as anonymous figures."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from cll.feedback import retention, services
from cll.feedback.models import Invitation, ServiceFeedback, SessionRating
from cll.feedback.tests.helpers import ended_session, enrol, invite
from cll.privacy.datamap import RETENTION
from cll.privacy.retention import PRUNERS

pytestmark = pytest.mark.django_db


def test_the_rules_have_their_pruners():
    assert PRUNERS["feedback"] is retention.prune_feedback
    assert PRUNERS["feedback-link"] is retention.prune_invitation_links


def test_an_expired_link_loses_its_token_and_the_invitation_stays(alice, charlie, settings):
    session = ended_session(1)
    enrol(session, alice)
    expired, _token = invite(session, alice)
    with time_machine.travel(timezone.now() + dt.timedelta(days=10)):
        enrol(session, charlie)
        live, _token = invite(session, charlie)

    with time_machine.travel(
        timezone.now() + dt.timedelta(days=settings.FEEDBACK_LINK_DAYS, hours=1)
    ):
        assert retention.prune_invitation_links(dry_run=True) == 1
        assert retention.prune_invitation_links(dry_run=False) == 1

    expired.refresh_from_db()
    live.refresh_from_db()
    assert expired.token_hash == "" and live.token_hash != ""
    # Still there: counted as invited, and never invited again.
    assert services.invitations_send_due() == 0


def test_after_the_period_comments_go_and_ratings_stay_anonymous(alice, charlie):
    days = RETENTION["feedback"].days
    session = ended_session(1)
    enrol(session, alice, charlie)
    invitation, _token = invite(session, alice)
    old = services.session_rating_save(
        invitation=invitation, rating=2, comment="Old comment", may_quote=True
    )
    old_service = services.service_feedback_create(
        account=alice, topic="website", rating=3, comment="Old service comment"
    )
    with time_machine.travel(timezone.now() + dt.timedelta(days=2)):
        young_invitation, _token = invite(session, charlie)
        young = services.session_rating_save(
            invitation=young_invitation, rating=5, comment="Young", may_quote=False
        )

    with time_machine.travel(timezone.now() + dt.timedelta(days=days + 1)):
        assert retention.prune_feedback(dry_run=True) == 3
        assert SessionRating.objects.get(pk=old.pk).comment == "Old comment"
        assert retention.prune_feedback(dry_run=False) == 3

    old.refresh_from_db()
    assert (old.comment, old.learner, old.invitation, old.may_quote) == ("", None, None, False)
    assert old.rating == 2 and old.session == session
    old_service.refresh_from_db()
    assert (old_service.comment, old_service.account, old_service.rating) == ("", None, 3)
    assert not Invitation.objects.filter(pk=invitation.pk).exists()
    young.refresh_from_db()
    assert young.comment == "Young" and young.learner == charlie
    assert Invitation.objects.filter(pk=young_invitation.pk).exists()
    assert ServiceFeedback.objects.count() == 1
