"""Billing's staff pages: orders, refunds, invoice PDFs and the accountant's CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from cll.accounts.services import child_add
from cll.core.csvexport import csv_cell
from cll.courses.tests.factories import make_session
from cll.privacy.datamap import Role
from cll.privacy.models import AuditEntry
from cll.shop import invoices
from cll.shop.models import Invoice, Order, OrderStatus, Payment, Refund
from cll.shop.tests.test_staff_support import make_credit_note, make_order, make_payment
from conftest import staff_login, status_text

pytestmark = pytest.mark.django_db

LIST_URL = "/en/staff/shop/orders/"
EXPORT_URL = "/en/staff/shop/export/"


def detail_url(order: Order, language: str = "en") -> str:
    return f"/{language}/staff/shop/orders/{order.public_id}/"


def refund_url(order: Order, payment: Payment, language: str = "en") -> str:
    return f"{detail_url(order, language)}payments/{payment.public_id}/refund/"


@pytest.fixture
def session():
    return make_session()


@pytest.fixture
def alice_order(alice, session):
    order = make_order(alice, session)
    make_payment(order)
    invoices.invoice_issue(order=order)
    return order


@pytest.fixture
def charlie_order(charlie, session):
    order = make_order(
        charlie,
        session,
        billing_name="Charlie Dubois",
        billing_address="Avenue Louise 1\n1050 Bruxelles",
        total_cents=45000,
    )
    make_payment(order, provider_ref="tr_CHARLIE777")
    return order


def test_it_is_at_the_documented_urls(alice_order):
    assert reverse("shop_staff:order_list") == "/fr/staff/shop/orders/"
    assert reverse("shop_staff:order_detail", args=[alice_order.public_id]) == detail_url(
        alice_order, "fr"
    )
    assert reverse("shop_staff:accounting_export") == "/fr/staff/shop/export/"


@pytest.mark.parametrize(
    "url", [LIST_URL, EXPORT_URL, "/en/staff/shop/export/?start=2026-01-01&end=2026-01-31"]
)
def test_it_sends_anonymous_visitors_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(reverse("account_login"))


def test_it_refuses_a_learner_a_teacher_and_customer_service(
    client, charlie, bob, cecile, alice_order
):
    client.force_login(charlie)
    for url in (LIST_URL, detail_url(alice_order), EXPORT_URL):
        assert client.get(url).status_code == 403
    for member in (bob, cecile):
        staff_login(client, member)
        for url in (LIST_URL, detail_url(alice_order), EXPORT_URL):
            assert client.get(url).status_code == 403


def test_it_lists_orders_and_audits_each_one_shown(client, bill, alice, alice_order, charlie_order):
    staff_login(client, bill)
    page = client.get(LIST_URL).content.decode()
    assert alice_order.reference in page and charlie_order.reference in page
    entries = AuditEntry.objects.filter(action="shop.order.list")
    assert {entry.subject for entry in entries} == {alice.public_id, charlie_order.buyer.public_id}
    entry = entries.get(subject=alice.public_id)
    assert entry.actor == bill.public_id and entry.actor_role == Role.BILLING
    assert entry.target == f"shop.Order:{alice_order.public_id}"
    assert entry.route == "shop_staff:order_list"
    # The list shows no name or address.
    assert "Vandenberghe" not in page and "Dubois" not in page


def test_it_filters_orders_by_status_reference_and_period(
    client, bill, alice, session, alice_order, charlie_order
):
    old = make_order(alice, session, status=OrderStatus.CANCELLED, created_at=timezone.now())
    Order.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=40))
    staff_login(client, bill)

    page = client.get(LIST_URL, {"status": "cancelled"}).content.decode()
    assert old.reference in page and alice_order.reference not in page

    page = client.get(LIST_URL, {"reference": charlie_order.reference[:4].lower()}).content.decode()
    assert charlie_order.reference in page and alice_order.reference not in page

    today = timezone.localdate()
    page = client.get(LIST_URL, {"start": today.isoformat()}).content.decode()
    assert alice_order.reference in page and old.reference not in page
    end = (today - dt.timedelta(days=30)).isoformat()
    page = client.get(LIST_URL, {"end": end}).content.decode()
    assert old.reference in page and alice_order.reference not in page


def test_it_explains_a_bad_filter_instead_of_failing(client, bill, alice_order):
    staff_login(client, bill)
    response = client.get(LIST_URL, {"start": "9999-12-31", "status": "stolen"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "The date cannot be in the future." in page
    assert "Select a valid choice." in page


def test_it_shows_an_order_with_the_decrypted_buyer_and_audits_the_read(
    client, bill, alice, alice_order, charlie_order
):
    staff_login(client, bill)
    response = client.get(detail_url(alice_order))
    assert response.status_code == 200
    page = response.content.decode()
    for shown in ("Alice Vandenberghe", "Rue des Wallons 12", "tr_ALICE12345", "390.00"):
        assert shown in page
    invoice = alice_order.invoices.get()
    assert f"{detail_url(alice_order)}invoices/{invoice.number}/" in page
    # Nobody else's order.
    for hidden in ("Charlie Dubois", "Avenue Louise", "tr_CHARLIE777", charlie_order.reference):
        assert hidden not in page
    entry = AuditEntry.objects.get(action="shop.order.read")
    assert entry.subject == alice.public_id and entry.actor == bill.public_id
    assert {"billing_name", "billing_address", "payments"} <= set(entry.fields)
    assert entry.route == "shop_staff:order_detail"


def test_it_names_the_child_of_a_guardian_order_and_audits_the_child_too(client, bill, gina):
    child = child_add(
        guardian=gina, data={"first_name": "Lotte", "last_name": "Peeters", "level": "A1"}
    )
    order = make_order(gina, make_session(), learner=child, billing_name="Gina Peeters")
    staff_login(client, bill)
    page = client.get(detail_url(order)).content.decode()
    assert "Lotte Peeters" in page
    subjects = set(
        AuditEntry.objects.filter(action="shop.order.read").values_list("subject", flat=True)
    )
    assert subjects == {gina.public_id, child.public_id}


def test_it_answers_404_for_an_unknown_order(client, adam):
    staff_login(client, adam)
    assert client.get(f"/en/staff/shop/orders/{uuid.uuid4()}/").status_code == 404


def test_it_refunds_part_of_a_paid_payment_through_the_provider(client, bill, alice_order):
    payment = alice_order.payments.get()
    staff_login(client, bill)
    prefix = str(payment.public_id)
    response = client.post(
        refund_url(alice_order, payment),
        {f"{prefix}-amount": "100,50", f"{prefix}-reason": "Withdrawal within 14 days"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == detail_url(alice_order)
    refund = Refund.objects.get()
    assert refund.amount_cents == 10050 and refund.requested_by == bill
    assert refund.reason == "Withdrawal within 14 days"
    assert AuditEntry.objects.filter(action="shop.refund.request", actor=bill.public_id).exists()
    page = client.get(detail_url(alice_order)).content.decode()
    assert "The refund went through." in status_text(page)
    # What is left to refund is offered next.
    assert "Up to €289.50 can still be refunded." in page


def test_it_refuses_a_refund_above_what_was_paid_and_saves_nothing(client, bill, alice_order):
    payment = alice_order.payments.get()
    staff_login(client, bill)
    prefix = str(payment.public_id)
    response = client.post(
        refund_url(alice_order, payment, "fr"),
        {f"{prefix}-amount": "390,01", f"{prefix}-reason": "Rétractation"},
    )
    assert response.status_code == 400
    message = "At most %(amount)s can still be refunded on this payment."
    with translation.override("fr"):
        expected = gettext(message) % {"amount": "390,00\N{NO-BREAK SPACE}€"}
    assert expected != message % {"amount": "390,00\N{NO-BREAK SPACE}€"}
    assert expected in html.unescape(response.content.decode())
    assert not Refund.objects.exists()
    payment.refresh_from_db()
    assert payment.refunded_cents == 0


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("abc", "Enter an amount in euros"),
        ("-5", "An amount cannot be negative."),
        ("0", "Enter an amount above zero."),
        ("", "This field is required."),
    ],
)
def test_it_refuses_a_malformed_refund_amount(client, bill, alice_order, amount, message):
    payment = alice_order.payments.get()
    staff_login(client, bill)
    prefix = str(payment.public_id)
    response = client.post(
        refund_url(alice_order, payment),
        {f"{prefix}-amount": amount, f"{prefix}-reason": "Withdrawal"},
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Refund.objects.exists()


def test_it_counts_refunds_already_asked_for_in_the_limit(client, bill, alice_order):
    payment = alice_order.payments.get()
    make_credit_note(payment, amount_cents=30000)
    staff_login(client, bill)
    prefix = str(payment.public_id)
    response = client.post(
        refund_url(alice_order, payment),
        {f"{prefix}-amount": "90,01", f"{prefix}-reason": "Withdrawal"},
    )
    assert response.status_code == 400
    assert "€90.00" in response.content.decode()
    assert Refund.objects.count() == 1


def test_it_refuses_a_refund_through_another_orders_url(client, bill, alice_order, charlie_order):
    staff_login(client, bill)
    payment = charlie_order.payments.get()
    prefix = str(payment.public_id)
    response = client.post(
        refund_url(alice_order, payment), {f"{prefix}-amount": "1", f"{prefix}-reason": "x"}
    )
    assert response.status_code == 404
    assert not Refund.objects.exists()


def test_it_refuses_a_refund_to_other_roles_and_by_get(client, cecile, bill, alice_order):
    payment = alice_order.payments.get()
    staff_login(client, cecile)
    assert client.post(refund_url(alice_order, payment), {}).status_code == 403
    staff_login(client, bill)
    assert client.get(refund_url(alice_order, payment)).status_code == 405
    assert not Refund.objects.exists()


def test_it_downloads_the_invoice_pdf_with_an_audit_entry(client, bill, alice, alice_order):
    invoice = alice_order.invoices.get()
    staff_login(client, bill)
    response = client.get(f"{detail_url(alice_order)}invoices/{invoice.number}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    entry = AuditEntry.objects.get(action="invoice.download")
    assert entry.actor == bill.public_id and entry.actor_role == Role.BILLING
    assert entry.subject == alice.public_id


def test_it_serves_no_invoice_through_another_orders_url(client, bill, alice_order, charlie_order):
    invoice = alice_order.invoices.get()
    staff_login(client, bill)
    response = client.get(f"{detail_url(charlie_order)}invoices/{invoice.number}/")
    assert response.status_code == 404
    assert not AuditEntry.objects.filter(action="invoice.download").exists()


# -- The accountant's export ------------------------------------------------------------------


def _csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_it_shows_the_export_form(client, bill):
    staff_login(client, bill)
    response = client.get(EXPORT_URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="start"' in page and 'name="end"' in page


def test_it_exports_the_invoices_and_credit_notes_of_the_period(
    client, bill, alice_order, charlie_order
):
    payment = alice_order.payments.get()
    credit = make_credit_note(payment, amount_cents=10050)
    invoice = alice_order.invoices.get(kind="invoice")
    # An invoice of last year stays out of this year's export.
    old = invoices.invoice_issue(order=charlie_order)
    Invoice.objects.filter(pk=old.pk).update(issued_at=timezone.now() - dt.timedelta(days=400))
    today = timezone.localdate()
    staff_login(client, bill)
    start = (today - dt.timedelta(days=10)).isoformat()
    response = client.get(EXPORT_URL, {"start": start, "end": today.isoformat()})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    header, *rows = _csv(response)
    assert header == [
        "Number",
        "Kind",
        "Date",
        "Order reference",
        "Total before VAT",
        "VAT",
        "Total",
        "Paid on",
        "Payment provider",
    ]
    assert rows == [
        [
            invoice.number,
            "Invoice",
            today.isoformat(),
            alice_order.reference,
            "390.00",
            "0.00",
            "390.00",
            today.isoformat(),
            "sandbox",
        ],
        [
            credit.number,
            "Credit note",
            today.isoformat(),
            alice_order.reference,
            "100.50",
            "0.00",
            "100.50",
            today.isoformat(),
            "sandbox",
        ],
    ]
    entry = AuditEntry.objects.get(action="shop.accounting.export")
    assert entry.actor == bill.public_id and entry.actor_role == Role.BILLING
    assert entry.detail == {"start": start, "end": today.isoformat(), "count": 2}
    # No name or address in the file: the accountant works from numbers.
    assert AuditEntry.objects.filter(action__startswith="shop.order").count() == 0


def test_it_neutralises_formulas_in_the_csv(client, adam, alice, session):
    order = make_order(alice, session)
    Order.objects.filter(pk=order.pk).update(reference="=1+2")
    make_payment(order, provider="@SUM(A1)")
    invoices.invoice_issue(order=order)
    staff_login(client, adam)
    today = timezone.localdate().isoformat()
    _header, row = _csv(client.get(EXPORT_URL, {"start": today, "end": today}))
    assert row[3] == "'=1+2"
    assert row[8] == "'@SUM(A1)"


@pytest.mark.parametrize("value", ["=cmd", "+1", "-1", "@x", "\tx", "\rx"])
def test_it_prefixes_every_formula_start_with_an_apostrophe(value):
    assert csv_cell(value) == "'" + value


def test_it_leaves_ordinary_cells_alone():
    assert csv_cell("2026-000001") == "2026-000001"
    assert csv_cell(None) == ""


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"start": "2026-02-01", "end": "2026-01-01"}, "The end date must be on or after"),
        ({"start": "0001-01-01", "end": "2026-01-01"}, "Enter a date on or after"),
        ({"start": "2026-01-01", "end": "9999-12-31"}, "The date cannot be in the future."),
        ({"start": "not a date", "end": "2026-01-01"}, "Enter a valid date."),
    ],
)
def test_it_refuses_a_bad_period_with_a_message(client, bill, query, message):
    staff_login(client, bill)
    response = client.get(EXPORT_URL, query)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not AuditEntry.objects.filter(action="shop.accounting.export").exists()
