"""The invitation to rate a session is written in the language the seat was ordered in (found in
the demo walkthrough: accounts record no language, so every invitation went out in French, a
Dutch-speaking learner's included); without an order, the person's language as before."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cll.feedback import services
from cll.feedback.tests.helpers import ended_session, enrol, invitation_emails
from cll.feedback.tests.test_invitations_send import make_child
from cll.shop.models import Enrolment, Order, OrderLine, OrderStatus

pytestmark = pytest.mark.django_db


def enrol_by_order(session, learner, *, buyer, language: str) -> None:
    """A paid order of ``buyer`` for ``learner``'s seat in ``language`` (rows as the checkout
    leaves them; the checkout itself is the shop's to test)."""
    now = timezone.now()
    order = Order.objects.create(
        reference=f"F{learner.pk:07d}",
        buyer=buyer,
        status=OrderStatus.PAID,
        billing_name="Lucas Janssens",
        billing_address="Bondgenotenlaan 88\n3000 Leuven",
        language=language,
        subtotal_cents=26000,
        vat_cents=0,
        total_cents=26000,
        vat_rate_bp=0,
        terms_version="2026-01",
        terms_accepted_at=now,
        withdrawal_deadline=timezone.localdate() + dt.timedelta(days=14),
        early_start_requested=False,
        hold_until=now,
        paid_at=now,
    )
    line = OrderLine.objects.create(
        order=order, session=session, learner=learner, description="Seat", price_cents=26000
    )
    Enrolment.objects.create(session=session, learner=learner, order_line=line)


def test_it_invites_in_the_language_the_seat_was_ordered_in(alice):
    enrol_by_order(ended_session(1, title="Néerlandais A2"), alice, buyer=alice, language="nl")

    services.invitations_send_due()

    email = invitation_emails()[0]
    assert email.headers["Content-Language"] == "nl"
    assert "/nl/feedback/rate/" in email.text_body


def test_a_guardian_is_invited_in_the_language_of_their_order_for_the_child(gina):
    child = make_child(gina)
    enrol_by_order(ended_session(1), child, buyer=gina, language="en")

    services.invitations_send_due()

    email = invitation_emails()[0]
    assert email.to_address == gina.email
    assert email.headers["Content-Language"] == "en"


def test_without_an_order_it_writes_in_the_person_s_language(alice):
    enrol(ended_session(1), alice)

    services.invitations_send_due()

    assert invitation_emails()[0].headers["Content-Language"] == "fr"
