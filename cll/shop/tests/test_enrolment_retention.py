"""Retention of enrolments (and attendance): deleted a set number of days after the session's
last day; places on waiting lists go when the session starts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cll.courses.tests.factories import make_session
from cll.privacy.retention import PRUNERS
from cll.shop import retention
from cll.shop.models import Attendance, Enrolment

pytestmark = pytest.mark.django_db


def _ended_days_ago(days: int):
    session = make_session(first_day=timezone.localdate() - dt.timedelta(days=days + 30))
    session.ends_on = timezone.localdate() - dt.timedelta(days=days)
    session.save(update_fields=["ends_on"])
    return session


def test_the_rules_have_their_pruners():
    assert PRUNERS["enrolments"] is retention.prune_enrolments
    assert PRUNERS["waitlist"] is retention.prune_waitlist


def test_enrolments_go_the_day_after_the_period(alice, charlie, settings):
    settings.ENROLMENT_RETENTION_DAYS = 100
    old = Enrolment.objects.create(session=_ended_days_ago(101), learner=alice)
    Attendance.objects.create(
        enrolment=old, course=old.session.courses.first(), present=True, marked_by=None
    )
    kept = Enrolment.objects.create(session=_ended_days_ago(99), learner=charlie)

    assert retention.prune_enrolments(dry_run=True) == 2
    assert Enrolment.objects.count() == 2

    retention.prune_enrolments(dry_run=False)

    assert list(Enrolment.objects.all()) == [kept]
    assert not Attendance.objects.exists()
