"""Staff results: who sees which sessions, comments and names; charts; audited reads; inert
comments; no N+1 queries."""

from __future__ import annotations

import base64

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cll.accounts.models import LearnerProfile
from cll.core.encryption import data_key_cache_clear
from cll.feedback import services
from cll.feedback.models import ServiceFeedback
from cll.feedback.tests.helpers import ended_session, enrol, invite
from cll.privacy.models import AuditEntry
from conftest import staff_login

pytestmark = pytest.mark.django_db

PAYLOAD = '<script>alert("x")</script>'
RESULTS = "/fr/staff/feedback/"


def results_url(session) -> str:
    return reverse("feedback_staff:session_results", kwargs={"slug": session.slug})


def rated(session, learner, stars: int, comment: str = ""):
    enrol(session, learner)
    invitation, _token = invite(session, learner)
    return services.session_rating_save(
        invitation=invitation, rating=stars, comment=comment, may_quote=False
    )


@pytest.fixture
def sessions(alice, charlie, bob):
    LearnerProfile.objects.create(user=alice, first_name="Alice", last_name="Martin")
    own = ended_session(2, teacher=bob, title="Own")
    other = ended_session(3, title="Other")
    rated(own, alice, 5, "Excellente prof")
    rated(own, charlie, 3)
    rated(other, charlie, 1, "Other's comment")
    return own, other


def test_the_results_are_the_staff_menu_s_page():
    assert reverse("feedback_staff:results") == RESULTS


def test_it_sends_visitors_to_sign_in(client, sessions):
    assert client.get(RESULTS).status_code == 302
    assert client.get(results_url(sessions[0])).status_code == 302


@pytest.mark.parametrize("persona", ["alice", "charlie", "dora", "bill"])
def test_learners_and_other_staff_are_refused(client, request, sessions, persona):
    user = request.getfixturevalue(persona)
    staff_login(client, user) if user.is_staff else client.force_login(user)

    assert client.get(RESULTS).status_code == 403
    assert client.get(results_url(sessions[0])).status_code == 403
    assert client.get(reverse("feedback_staff:service_comments")).status_code == 403


def test_customer_service_sees_every_session_and_comments_with_names(client, cecile, sessions):
    own, _other = sessions
    staff_login(client, cecile)

    listing = client.get(RESULTS).content.decode()
    assert "FR Own" in listing and "FR Other" in listing

    page = client.get(results_url(own)).content.decode()
    assert "Excellente prof" in page and "Alice Martin" in page
    entry = AuditEntry.objects.get(action="feedback.read")
    assert entry.actor == cecile.public_id and entry.actor_role == "Customer service"
    assert "comment" in entry.fields and "learner" in entry.fields
    assert entry.route == "feedback_staff:session_results"


def test_a_teacher_sees_only_their_own_sessions_without_names(client, bob, alice, sessions):
    own, other = sessions
    staff_login(client, bob)

    listing = client.get(RESULTS).content.decode()
    assert "FR Own" in listing and "FR Other" not in listing
    assert "Feedback on our services" not in listing and "Retours sur nos services" not in listing

    page = client.get(results_url(own)).content.decode()
    assert "Excellente prof" in page and "Alice Martin" not in page
    entry = AuditEntry.objects.get(action="feedback.read")
    assert entry.subject == alice.public_id and entry.actor_role == "Teacher"
    assert "learner" not in entry.fields

    assert client.get(results_url(other)).status_code == 404


def test_marketing_sees_figures_but_no_comment(client, mallory, sessions):
    own, _other = sessions
    staff_login(client, mallory)

    page = client.get(results_url(own))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Excellente prof" not in html and "Alice Martin" not in html
    assert not AuditEntry.objects.filter(action="feedback.read").exists()
    assert client.get(reverse("feedback_staff:service_comments")).status_code == 403


def test_the_figures_and_the_charts_are_shown(client, adam, sessions):
    own, _other = sessions
    staff_login(client, adam)

    page = client.get(results_url(own)).content.decode()

    assert 'src="data:image/svg+xml;base64,' in page
    encoded = page.split('src="data:image/svg+xml;base64,')[1].split('"')[0]
    svg = base64.b64decode(encoded).decode()
    assert svg.startswith("<svg") and "<script" not in svg and "http://" not in svg.split(">", 1)[1]
    # Invited 2, answered 2, average 4.0.
    assert "<dd>2</dd>" in page and "<dd>4,0</dd>" in page

    listing = client.get(RESULTS).content.decode()
    assert listing.count('src="data:image/svg+xml;base64,') == 1  # the services' chart


def test_a_script_in_a_comment_is_inert_on_the_staff_page(client, adam, alice):
    session = ended_session(1)
    rated(session, alice, 4, PAYLOAD)
    staff_login(client, adam)

    page = client.get(results_url(session)).content.decode()

    assert PAYLOAD not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_comments_on_services_are_for_managers_and_audited(client, cecile, alice):
    LearnerProfile.objects.create(user=alice, first_name="Alice", last_name="Martin")
    services.service_feedback_create(account=alice, topic="website", rating=2, comment=PAYLOAD)
    staff_login(client, cecile)

    page = client.get(reverse("feedback_staff:service_comments")).content.decode()

    assert "Alice Martin" in page and PAYLOAD not in page and "&lt;script&gt;" in page
    entry = AuditEntry.objects.get(action="feedback.read")
    assert entry.subject == alice.public_id and entry.target.startswith("feedback.ServiceFeedback")


def test_the_services_chart_shows_averages_per_topic(client, mallory, alice):
    for stars in (2, 4):
        ServiceFeedback.objects.create(account=alice, topic="website", rating=stars)
    staff_login(client, mallory)

    page = client.get(RESULTS).content.decode()

    assert 'src="data:image/svg+xml;base64,' in page
    assert "3,0" in page


def _queries(client, url: str) -> int:
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    # One ledger entry per comment shown is the rule (audited reads), not an N+1.
    kept = [q["sql"] for q in queries.captured_queries if "privacy_auditentry" not in q["sql"]]
    return len(kept)


def test_the_lists_read_as_many_rows_for_few_as_for_many_items(
    client,
    cecile,
    django_user_model,
    time_machine,
    content_version_read_once,
):
    # Time stands still: a staff session's last activity is written once a minute, which a
    # slow run would otherwise count in one measurement and not the other.
    time_machine.move_to(timezone.now(), tick=False)
    staff_login(client, cecile)
    session = ended_session(1)
    counts = {}
    learners = iter(django_user_model.objects.create_user(f"l{n}@example.org") for n in range(40))
    for total in (2, 8):
        while ServiceFeedback.objects.count() < total:
            learner = next(learners)
            LearnerProfile.objects.create(user=learner, first_name="L", last_name="N")
            rated(session, learner, 4, "Bien")
            rated(ended_session(2), learner, 3)
            services.service_feedback_create(account=learner, topic="other", rating=3, comment="c")
        # Keys made in this test's transaction are never cached (they might roll back); in
        # production they are committed long before anyone reads the results.
        data_key_cache_clear()
        counts[total] = (
            _queries(client, RESULTS),
            _queries(client, results_url(session)),
            _queries(client, reverse("feedback_staff:service_comments")),
        )
    assert counts[2] == counts[8], counts
