"""The rating page: from the e-mailed link (no sign-in) or signed in; validation; one answer
per invitation, changeable until the link expires; nobody else's."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from cll.feedback.models import SessionRating
from cll.feedback.tests.helpers import ended_session, enrol, invite
from cll.privacy.models import AuditEntry
from cll.shop.models import Enrolment

pytestmark = pytest.mark.django_db

PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def invited(alice):
    session = ended_session(1, title="Anglais B1")
    enrol(session, alice)
    return invite(session, alice)


def url(token: str) -> str:
    return reverse("feedback:rate", kwargs={"token": token})


def test_it_shows_the_form_from_the_link_without_signing_in(client, invited):
    _invitation, token = invited

    response = client.get(url(token))

    assert response.status_code == 200
    html = response.content.decode()
    assert "FR Anglais B1" in html
    # Stars as radio buttons in a fieldset whose legend is the question.
    assert "<fieldset" in html and "<legend" in html
    assert html.count('type="radio" name="rating"') == 5
    assert "no-store" in response["Cache-Control"]


def test_it_records_an_answer_from_the_link_with_its_audit_entry(client, alice, invited):
    invitation, token = invited

    response = client.post(url(token), {"rating": "4", "comment": "Très bien", "may_quote": "on"})

    assert response.status_code == 302
    answer = SessionRating.objects.get()
    assert (answer.rating, answer.comment, answer.may_quote) == (4, "Très bien", True)
    assert answer.learner == alice and answer.session == invitation.session
    entry = AuditEntry.objects.get(action="feedback.rate")
    assert entry.subject == alice.public_id and entry.actor is None
    assert "Très bien" not in str(entry.detail)


def test_the_answer_can_be_changed_until_the_link_expires(client, invited, settings):
    _invitation, token = invited
    client.post(url(token), {"rating": "2", "comment": "Bof"})
    client.post(url(token), {"rating": "5", "comment": ""})

    answer = SessionRating.objects.get()
    assert (answer.rating, answer.comment) == (5, "")
    assert AuditEntry.objects.filter(action="feedback.rate_change").count() == 1
    assert re.search(
        r'name="rating" value="5"[^>]*checked', client.get(url(token)).content.decode()
    )

    with time_machine.travel(timezone.now() + dt.timedelta(days=settings.FEEDBACK_LINK_DAYS + 1)):
        assert client.get(url(token)).status_code == 404
        assert client.post(url(token), {"rating": "1"}).status_code == 404
    assert SessionRating.objects.get().rating == 5


@pytest.mark.parametrize("value", ["0", "6", "abc", "", "4.5", "-1"])
def test_a_rating_out_of_1_to_5_is_refused_with_a_translated_message(client, invited, value):
    _invitation, token = invited

    response = client.post(url(token), {"rating": value, "comment": "x"})

    assert response.status_code == 400
    assert "Choisissez une note de 1 à 5 étoiles." in response.content.decode()
    assert not SessionRating.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="feedback.rate").exists()


def test_a_too_long_comment_is_refused(client, invited):
    _invitation, token = invited

    response = client.post(url(token), {"rating": "3", "comment": "x" * 2001})

    assert response.status_code == 400
    assert not SessionRating.objects.exists()


def test_an_unknown_or_altered_token_is_not_found(client, invited):
    _invitation, token = invited

    assert client.get(url("nope")).status_code == 404
    assert client.post(url(token[:-2] + "xx"), {"rating": "5"}).status_code == 404
    assert not SessionRating.objects.exists()


def test_the_link_signed_in_as_someone_else_is_refused(client, charlie, invited):
    _invitation, token = invited
    client.force_login(charlie)

    assert client.get(url(token)).status_code == 403
    assert client.post(url(token), {"rating": "1"}).status_code == 403
    assert not SessionRating.objects.exists()


def test_the_link_signed_in_as_the_recipient_works(client, alice, invited):
    _invitation, token = invited
    client.force_login(alice)

    assert client.post(url(token), {"rating": "3"}).status_code == 302
    assert AuditEntry.objects.get(action="feedback.rate").actor == alice.public_id


def test_signed_in_the_person_rates_from_their_feedback_page(client, alice, invited):
    invitation, _token = invited
    client.force_login(alice)

    home = client.get(reverse("feedback:home")).content.decode()
    page = reverse("feedback:session_rate", kwargs={"public_id": invitation.public_id})
    assert page in home

    assert client.post(page, {"rating": "5", "comment": "Super"}).status_code == 302
    assert SessionRating.objects.get().comment == "Super"


def test_the_signed_in_page_needs_a_sign_in(client, invited):
    invitation, _token = invited
    page = reverse("feedback:session_rate", kwargs={"public_id": invitation.public_id})

    response = client.get(page)

    assert response.status_code == 302 and "login" in response["Location"]


def test_a_stranger_gets_404_for_someone_else_s_invitation(client, charlie, invited):
    invitation, _token = invited
    client.force_login(charlie)
    page = reverse("feedback:session_rate", kwargs={"public_id": invitation.public_id})

    assert client.get(page).status_code == 404
    assert client.post(page, {"rating": "1"}).status_code == 404
    assert invitation.session.title not in client.get(reverse("feedback:home")).content.decode()


def test_a_guardian_answers_for_their_child(client, gina):
    from cll.feedback.tests.test_invitations_send import make_child

    child = make_child(gina, "Lotte")
    session = ended_session(1)
    enrol(session, child)
    _invitation, token = invite(session, child)

    page = client.get(url(token)).content.decode()
    assert "Lotte Peeters" in page
    client.post(url(token), {"rating": "4"})

    assert SessionRating.objects.get().learner == child


def test_a_script_in_the_comment_is_shown_inert_to_its_author(client, alice, invited):
    _invitation, token = invited
    client.post(url(token), {"rating": "4", "comment": PAYLOAD})

    html = client.get(url(token)).content.decode()

    assert PAYLOAD not in html
    assert "&lt;script&gt;" in html


def test_my_enrolments_link_leads_to_the_seat_s_rating_page(client, alice, invited):
    invitation, _token = invited
    enrolment = Enrolment.objects.get(learner=alice)
    link = reverse("feedback:enrolment_rate", kwargs={"public_id": enrolment.public_id})

    assert client.get(link).status_code == 302  # sign in first
    client.force_login(alice)
    response = client.get(link)

    assert response["Location"] == reverse(
        "feedback:session_rate", kwargs={"public_id": invitation.public_id}
    )


def test_my_enrolments_link_of_someone_else_s_seat_leads_to_my_own_feedback(
    client, alice, charlie, invited
):
    enrolment = Enrolment.objects.get(learner=alice)
    client.force_login(charlie)

    response = client.get(
        reverse("feedback:enrolment_rate", kwargs={"public_id": enrolment.public_id})
    )

    assert response["Location"] == reverse("feedback:home")
