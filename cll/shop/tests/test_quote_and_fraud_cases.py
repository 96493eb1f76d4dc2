"""Billing's side of the cases (selectors and closing, for the staff pages) and their retention:
closed cases go with their data keys after the billing-cases period."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from cll.core.encryption import DataKey
from cll.core.models import OutboxEmail
from cll.privacy.datamap import RETENTION
from cll.privacy.models import AuditEntry
from cll.privacy.retention import PRUNERS
from cll.shop import cases
from cll.shop.models import CaseStatus, FraudReport, QuoteRequest

pytestmark = pytest.mark.django_db

PERIOD = dt.timedelta(days=RETENTION["billing-cases"].days)


def quote(name: str = "Chloé Dubois") -> QuoteRequest:
    return cases.quote_request_submit(
        kind="company",
        name=name,
        email="chloe@example.org",
        phone="",
        organisation="",
        message="Twelve colleagues.",
        language="fr",
    )


def fraud() -> FraudReport:
    return cases.fraud_report_submit(
        name="Marc Lenoir",
        email="marc@example.org",
        debit_date=timezone.localdate(),
        amount_cents=6500,
        statement_text="CLL LLN",
        details="",
        language="en",
    )


def test_billing_and_administrators_list_the_cases(bill, adam):
    request, report = quote(), fraud()
    for user in (bill, adam):
        assert list(cases.quote_request_list_for(user=user)) == [request]
        assert list(cases.fraud_report_list_for(user=user)) == [report]
        assert list(cases.quote_request_list_for(user=user, status=CaseStatus.CLOSED)) == []


def test_nobody_else_lists_or_reads_them(alice, bob, cecile, mark):
    request, report = quote(), fraud()
    for user in (alice, bob, cecile, mark):
        with pytest.raises(PermissionDenied):
            cases.quote_request_list_for(user=user)
        with pytest.raises(PermissionDenied):
            cases.fraud_report_list_for(user=user)
        with pytest.raises(PermissionDenied):
            cases.quote_request_get_for(user=user, public_id=request.public_id)
        with pytest.raises(PermissionDenied):
            cases.fraud_report_get_for(user=user, public_id=report.public_id)
        with pytest.raises(PermissionDenied):
            cases.case_close(case=report, by=user)
    assert not AuditEntry.objects.filter(action__endswith=".read").exists()


def test_reading_a_case_is_audited(bill):
    request, report = quote(), fraud()
    assert cases.quote_request_get_for(user=bill, public_id=request.public_id).name == (
        "Chloé Dubois"
    )
    assert cases.fraud_report_get_for(user=bill, public_id=report.public_id) == report
    read = AuditEntry.objects.get(action="shop.quote.read")
    assert read.actor == bill.public_id and read.actor_role == "Billing"
    assert read.subject == request.public_id and "message" in read.fields
    assert AuditEntry.objects.get(action="shop.fraud.read").subject == report.public_id


def test_closing_a_case_is_audited_once(bill):
    report = fraud()
    assert cases.case_close(case=report, by=bill) is True
    assert report.status == CaseStatus.CLOSED and report.closed_at is not None
    assert cases.case_close(case=report, by=bill) is False
    (entry,) = AuditEntry.objects.filter(action="shop.fraud.close")
    assert entry.actor == bill.public_id and entry.subject == report.public_id


def _closed_at(case, when: dt.datetime) -> None:
    type(case).objects.filter(pk=case.pk).update(status=CaseStatus.CLOSED, closed_at=when)


def test_it_prunes_closed_cases_after_the_period_with_their_keys(bill):
    now = timezone.now()
    old_quote, old_fraud = quote("Old"), fraud()
    kept, still_open = quote("Recent"), quote("Open")
    _closed_at(old_quote, now - PERIOD - dt.timedelta(days=1))
    _closed_at(old_fraud, now - PERIOD - dt.timedelta(days=1))
    _closed_at(kept, now - PERIOD + dt.timedelta(days=1))
    QuoteRequest.objects.filter(pk=still_open.pk).update(created_at=now - 2 * PERIOD)

    assert cases.prune_billing_cases(dry_run=True) == 2
    assert QuoteRequest.objects.count() == 3 and FraudReport.objects.count() == 1

    assert cases.prune_billing_cases(dry_run=False) == 2
    assert set(QuoteRequest.objects.all()) == {kept, still_open}
    assert not FraudReport.objects.exists()
    # The keys are gone: the e-mails about those cases cannot be read any more.
    gone = {old_quote.public_id, old_fraud.public_id}
    assert not DataKey.objects.filter(subject__in=gone, destroyed_at__isnull=True).exists()
    for email in OutboxEmail.objects.filter(person__in=gone):
        assert email.to_address is None
    assert OutboxEmail.objects.get(person=kept.public_id, kind="emails/quote_received").to_address


def test_the_pruner_applies_the_billing_cases_rule():
    assert PRUNERS["billing-cases"] is cases.prune_billing_cases


def test_a_case_closed_exactly_a_period_ago_stays_until_the_next_day(bill):
    closed = timezone.now()
    report = fraud()
    _closed_at(report, closed)
    with time_machine.travel(closed + PERIOD - dt.timedelta(minutes=1)):
        assert cases.prune_billing_cases(dry_run=False) == 0
    with time_machine.travel(closed + PERIOD + dt.timedelta(minutes=1)):
        assert cases.prune_billing_cases(dry_run=False) == 1
