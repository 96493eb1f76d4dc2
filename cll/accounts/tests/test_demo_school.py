"""scripts/run.sh shows a lived-in school: the demo commands (load_demo, load_demo_accounts,
load_demo_requests) give the staff pages people, a child, teachers, requests, breaches, policy
versions and a month of analytics, and running them twice changes nothing."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from cll.accounts.models import Guardianship, LearnerProfile, User
from cll.accounts.services import age_on
from cll.analytics.models import AccessLogBlock, DailyAggregate
from cll.analytics.selectors import dashboard_figures
from cll.breaches.models import Breach
from cll.courses.models import Session
from cll.dsar.models import DataSubjectRequest
from cll.policies.models import PolicyVersion
from cll.privacy.models import AuditEntry
from conftest import staff_login

pytestmark = pytest.mark.django_db


def run_demo() -> None:
    call_command("load_demo", sessions=12, stdout=io.StringIO())
    call_command("load_demo_accounts", stdout=io.StringIO())
    call_command("load_demo_requests", stdout=io.StringIO())


@pytest.fixture
def demo_school():
    run_demo()
    return {user.email.split("@")[0]: user for user in User.objects.all()}


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            User,
            LearnerProfile,
            Guardianship,
            Breach,
            PolicyVersion,
            DataSubjectRequest,
            AccessLogBlock,
            DailyAggregate,
            AuditEntry,
        )
    }


def test_it_finds_alice_on_the_staff_learners_page(client, demo_school):
    profile = demo_school["alice"].profile
    # Encrypted fields went through the model: they read back in clear.
    assert (profile.first_name, profile.last_name, profile.city) == (
        "Alice",
        "Lambert",
        "Louvain-la-Neuve",
    )
    assert profile.level == "B1" and "en" in profile.learning_languages

    staff_login(client, demo_school["dora"])
    response = client.get("/fr/staff/learners/", {"email": "alice@demo.cll.be"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "alice@demo.cll.be" in html and "Lambert" in html


def test_it_gives_gina_a_child_under_13(demo_school):
    guardianship = Guardianship.objects.get(guardian=demo_school["gina"])
    assert guardianship.status == Guardianship.Status.ACTIVE
    assert age_on(guardianship.child.profile.birth_date) < 13
    assert guardianship.child.profile.first_name == "Léa"


def test_it_puts_the_teachers_on_sessions(demo_school):
    assert Session.objects.filter(teacher=demo_school["bob"]).exists()
    assert Session.objects.filter(teacher=demo_school["nora"]).exists()


def test_it_puts_requests_in_the_privacy_queue(client, demo_school):
    request = DataSubjectRequest.objects.get(account=demo_school["alice"])
    assert request.status == DataSubjectRequest.Status.OPEN and request.due_on is not None

    staff_login(client, demo_school["dora"])
    response = client.get("/fr/staff/requests/")
    assert response.status_code == 200
    assert str(request.public_id) in response.content.decode()


def test_it_records_breaches_and_policy_versions(client, demo_school):
    assert Breach.objects.count() == 3
    assert Breach.objects.filter(authority_notified_at__isnull=False).count() == 1
    assert set(Breach.objects.values_list("reported_by", flat=True)) == {demo_school["dora"].pk}
    assert PolicyVersion.objects.get(kind="terms", version="2026-12").is_published
    assert not PolicyVersion.objects.get(kind="privacy", version="2027-01").is_published

    staff_login(client, demo_school["dora"])
    html = client.get("/fr/staff/privacy/breaches/").content.decode()
    assert "Ordinateur portable volé à Woluwe" in html


def test_it_gives_the_analytics_dashboard_a_month_of_data(client, demo_school):
    today = timezone.localdate()
    start = today - dt.timedelta(days=30)
    figures = dashboard_figures(start=start, end=today - dt.timedelta(days=1))
    days_with_views = [day for day, views, _visitors in figures.daily if views]
    assert len(days_with_views) == 30
    assert figures.totals["bot_requests"] > 0
    assert dict(figures.tops["browser"]).keys() >= {"Firefox", "Chrome"}

    staff_login(client, demo_school["mark"])
    response = client.get(
        "/en/staff/analytics/", {"start": start.isoformat(), "end": today.isoformat()}
    )
    assert response.status_code == 200
    assert "/fr/courses/" in response.content.decode()


def test_it_is_idempotent():
    run_demo()
    first = counts()
    run_demo()
    assert counts() == first


def test_it_completes_an_account_from_an_older_demo(demo_school):
    alice = demo_school["alice"]
    LearnerProfile.objects.filter(user=alice).delete()

    call_command("load_demo_accounts", stdout=io.StringIO())
    assert LearnerProfile.objects.get(user=alice).last_name == "Lambert"


def test_the_requests_refuse_production(db, settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError):
        call_command("load_demo_requests", stdout=io.StringIO())
