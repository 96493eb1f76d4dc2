"""Customer service's enrolment pages: who is enrolled where, never a payment detail."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cll.courses.tests.factories import make_session
from cll.privacy.datamap import Role
from cll.privacy.models import AuditEntry
from cll.shop import invoices
from cll.shop.models import Enrolment, EnrolmentStatus
from cll.shop.tests.test_staff_support import PROFILES, make_order, make_payment, make_profile
from conftest import staff_login

pytestmark = pytest.mark.django_db

SESSIONS_URL = "/en/staff/shop/enrolments/"


def list_url(session) -> str:
    return f"{SESSIONS_URL}{session.slug}/"


@pytest.fixture
def session(alice, gina):
    session = make_session(price_cents=47350)
    make_profile(alice, **PROFILES["alice"], phone="+3210123456")
    make_profile(gina, **PROFILES["gina"])
    for learner in (alice, gina):
        order = make_order(learner, session, total_cents=47350)
        make_payment(order, provider_ref=f"tr_{learner.pk}_SECRET")
        invoices.invoice_issue(order=order)
    Enrolment.objects.filter(learner=gina).update(status=EnrolmentStatus.WITHDRAWN)
    return session


@pytest.fixture
def other_session(charlie):
    other = make_session()
    make_profile(charlie, **PROFILES["charlie"])
    make_order(charlie, other)
    return other


def test_it_is_at_the_documented_urls(session):
    assert reverse("shop_staff:enrolment_sessions") == "/fr/staff/shop/enrolments/"
    assert reverse("shop_staff:enrolment_list", args=[session.slug]) == (
        f"/fr/staff/shop/enrolments/{session.slug}/"
    )


def test_it_sends_anonymous_visitors_to_sign_in(client, session):
    for url in (SESSIONS_URL, list_url(session)):
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith(reverse("account_login"))


def test_it_refuses_learners_teachers_and_billing(client, charlie, bob, bill, mark, session):
    client.force_login(charlie)
    for url in (SESSIONS_URL, list_url(session)):
        assert client.get(url).status_code == 403
    for member in (bob, bill, mark):
        staff_login(client, member)
        for url in (SESSIONS_URL, list_url(session)):
            assert client.get(url).status_code == 403


def test_it_lists_sessions_with_their_enrolment_counts(client, cecile, session, other_session):
    staff_login(client, cecile)
    page = client.get(SESSIONS_URL).content.decode()
    assert list_url(session) in page and list_url(other_session) in page
    # Counts only: nobody's name, and nothing read about anyone.
    assert "Vandenberghe" not in page
    assert not AuditEntry.objects.filter(action__startswith="shop.").exists()


def test_it_lists_the_enrolments_of_a_session_and_audits_each_person(
    client, cecile, alice, gina, session, other_session
):
    staff_login(client, cecile)
    response = client.get(list_url(session))
    assert response.status_code == 200
    page = response.content.decode()
    for shown in ("Alice", "Vandenberghe", "Enrolled", "Gina", "Peeters", "Withdrawn"):
        assert shown in page
    assert "Charlie" not in page
    entries = AuditEntry.objects.filter(action="shop.enrolment.read")
    assert {entry.subject for entry in entries} == {alice.public_id, gina.public_id}
    entry = entries.get(subject=alice.public_id)
    assert entry.actor == cecile.public_id and entry.actor_role == Role.CUSTOMER_SERVICE
    assert entry.fields == ["created_at", "first_name", "last_name", "status"]


def test_it_never_shows_customer_service_a_payment_detail(client, cecile, alice, session):
    staff_login(client, cecile)
    pages = (
        client.get(SESSIONS_URL).content.decode() + client.get(list_url(session)).content.decode()
    )
    order = alice.orders.get()
    payment = order.payments.get()
    invoice = order.invoices.get()
    for hidden in (
        # The amount, in every format.
        "473.50",
        "473,50",
        "47350",
        payment.provider_ref,
        order.reference,
        invoice.number,
        "bancontact",
        alice.email,
        "+3210123456",
    ):
        assert hidden not in pages
    assert reverse("shop_staff:order_list").replace("/fr/", "/en/") not in pages


def test_it_answers_404_for_an_unknown_session(client, cecile):
    staff_login(client, cecile)
    assert client.get(f"{SESSIONS_URL}no-such-session/").status_code == 404


def test_it_opens_the_enrolments_to_the_administrator(client, adam, session):
    staff_login(client, adam)
    assert client.get(list_url(session)).status_code == 200
    entry = AuditEntry.objects.filter(action="shop.enrolment.read").first()
    assert entry.actor_role == Role.ADMINISTRATOR
