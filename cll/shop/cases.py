"""Billing cases: requests for a quote and reports of a fraudulent debit, from anyone.

Services, selectors and the retention of both kinds of case (``QuoteRequest``,
``FraudReport``). The public forms are ``case_views``; Billing works on the cases through the
staff pages, with the selectors and ``case_close`` below.

Rules
-----
- **Their own data subject.** A case may come from a visitor without an account. Its name,
  address and message are sealed with the case's *own* data key (``id:public_id`` in the data
  map, like a data-subject request); so is every e-mail about it. Pruning the case destroys
  the key, which makes those copies unreadable too, backups included.
- **No relay for spam.** The form is open to anyone, so the acknowledgement goes to whatever
  address is typed: it carries our text, the kind and the reference, never what the sender
  wrote. Submissions are counted per client IP and per address (its blind index, never the
  address) in the cache, and refused over the limit; the form itself has a honeypot field and
  a minimum fill time (``case_forms``).
- **Billing is told, the message stays here.** The notice to Billing names the kind and the
  reference, not the person: the case is read on the staff pages, where the read is audited.
- **Evidence.** Submitting, reading (staff) and closing a case each write an audit entry (ids
  and codes only) in the transaction of the change.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone, translation

from cll.core.antispam import submission_rate_allows
from cll.core.outbox import email_queue_template
from cll.core.roles import Role, acting_role, staff_roles_of
from cll.courses.models import Session
from cll.privacy.datamap import RETENTION
from cll.privacy.retention import own_subject_rows_delete, pruner
from cll.privacy.services import audit_record, staff_recipients
from cll.shop.models import CaseStatus, FraudReport, QuoteKind, QuoteRequest

# Who works on billing cases (staff pages); the first one an actor holds is named in the audit.
CASE_ROLES = (Role.BILLING, Role.ADMINISTRATOR)
# What we promise the person: an answer within this many working days (acknowledgement e-mail
# and the page after the form).
ANSWER_WORKING_DAYS = 5
# Flood control of the public forms, per form: submissions per client IP per hour, and per
# e-mail address per day.
RATE_PER_IP_HOUR = 5
RATE_PER_ADDRESS_DAY = 3

Case = QuoteRequest | FraudReport

# The kind of each case model: its audit actions ("shop.<kind>.<verb>"), e-mail templates
# ("emails/<kind>_<name>") and the blind-index purpose of its address.
_KIND = {QuoteRequest: "quote", FraudReport: "fraud"}
_EMAIL_PURPOSE = {
    "quote": QuoteRequest._meta.get_field("email_index").purpose,
    "fraud": FraudReport._meta.get_field("email_index").purpose,
}


def _normalise(email: str) -> str:
    return email.strip().lower()


def retention_text() -> str:
    """How long a case is kept, in the words of the data map (shown next to the forms)."""
    return str(RETENTION["billing-cases"].description)


# -- Flood control --------------------------------------------------------------------------------


def case_rate_allows(*, kind: str, ip: str, email: str) -> bool:
    """Count one submission of form ``kind`` ("quote" or "fraud") from ``ip`` for ``email``;
    False when either is over its limit (``cll.core.antispam``: keys hold the IP and the
    address's blind index, never the address)."""
    return submission_rate_allows(
        scope=f"shop:{kind}",
        ip=ip,
        email=email,
        email_purpose=_EMAIL_PURPOSE[kind],
        per_ip_hour=RATE_PER_IP_HOUR,
        per_address_day=RATE_PER_ADDRESS_DAY,
    )


# -- E-mails --------------------------------------------------------------------------------------


def _email_case(case: Case, *, label) -> None:
    """The acknowledgement to the person and the notice to Billing, queued in the caller's
    transaction (sent after its commit), all sealed with the case's own key."""
    kind = _KIND[type(case)]
    context = {
        "reference": case.public_id,
        "type_label": label,
        "received": timezone.localtime(case.created_at).date(),
        "days": ANSWER_WORKING_DAYS,
    }
    email_queue_template(
        to=case.email,
        template_prefix=f"emails/{kind}_received",
        context=context,
        language=case.language,
        subject_person=case.public_id,
    )
    for address, language in staff_recipients(role=Role.BILLING):
        with translation.override(language):
            # The case's staff page (its read is audited there).
            path = reverse(f"shop_staff:{kind}_detail", args=[case.public_id])
        email_queue_template(
            to=address,
            template_prefix=f"emails/{kind}_billing",
            context={**context, "link": settings.SITE_URL.rstrip("/") + path},
            language=language,
            subject_person=case.public_id,
        )


def _audit(case: Case, verb: str, *, actor=None, fields=(), **detail) -> None:
    kind = _KIND[type(case)]
    audit_record(
        actor=actor,
        role=acting_role(actor, *CASE_ROLES),
        action=f"shop.{kind}.{verb}",
        target=case,
        fields=fields,
        detail={"case": case.public_id, **detail},
    )


# -- Submissions ----------------------------------------------------------------------------------


def quote_request_submit(
    *,
    kind: str,
    name: str,
    email: str,
    phone: str,
    organisation: str,
    message: str,
    language: str,
    session: Session | None = None,
    user=None,
) -> QuoteRequest:
    """A request for a quote from the public form: saved, acknowledged to the person (with its
    reference) and announced to Billing, in one transaction."""
    account = user if user is not None and user.is_authenticated else None
    with transaction.atomic():
        request = QuoteRequest.objects.create(
            kind=kind,
            account=account,
            session=session,
            name=name.strip(),
            email=_normalise(email),
            phone=phone,
            organisation=organisation.strip(),
            message=message.strip(),
            language=language,
        )
        _audit(request, "submit", actor=account, kind=kind, with_session=session is not None)
        # Lazy labels: each e-mail says them in its own recipient's language.
        _email_case(request, label=QuoteKind(kind).label)
    return request


def fraud_report_submit(
    *,
    name: str,
    email: str,
    debit_date,
    amount_cents: int,
    statement_text: str,
    details: str,
    language: str,
    user=None,
) -> FraudReport:
    """A report of a debit the person did not make: saved, acknowledged to the person (with
    what to do with their bank) and announced to Billing, in one transaction."""
    account = user if user is not None and user.is_authenticated else None
    with transaction.atomic():
        report = FraudReport.objects.create(
            account=account,
            name=name.strip(),
            email=_normalise(email),
            debit_date=debit_date,
            amount_cents=amount_cents,
            statement_text=statement_text.strip(),
            details=details.strip(),
            language=language,
        )
        _audit(report, "submit", actor=account)
        _email_case(report, label=FraudReport._meta.verbose_name)
    return report


# -- Staff: reading and closing -------------------------------------------------------------------


def case_staff_allowed(user) -> bool:
    return bool(staff_roles_of(user) & set(CASE_ROLES))


def _require(user) -> None:
    if not case_staff_allowed(user):
        raise PermissionDenied


def quote_request_list_for(*, user, status: str | None = None) -> QuerySet[QuoteRequest]:
    """Quote requests for Billing and Administrators (anyone else: ``PermissionDenied``), the
    latest first; only ``status`` ones if given. A page showing their personal fields audits
    that read (``quote_request_get_for`` does it for one case)."""
    _require(user)
    rows = QuoteRequest.objects.select_related("session")
    return rows.filter(status=status) if status else rows


def fraud_report_list_for(*, user, status: str | None = None) -> QuerySet[FraudReport]:
    """Fraud reports for Billing and Administrators (anyone else: ``PermissionDenied``), the
    latest first; only ``status`` ones if given."""
    _require(user)
    rows = FraudReport.objects.all()
    return rows.filter(status=status) if status else rows


# Fields a case's detail page shows (named in the audit entry of each read).
QUOTE_FIELDS = ("kind", "session", "name", "email", "phone", "organisation", "message")
FRAUD_FIELDS = ("name", "email", "debit_date", "amount_cents", "statement_text", "details")


def quote_request_get_for(*, user, public_id: uuid.UUID) -> QuoteRequest | None:
    """One quote request for Billing or an Administrator, its read audited
    (``shop.quote.read``); None when there is no such case."""
    _require(user)
    request = QuoteRequest.objects.select_related("session").filter(public_id=public_id).first()
    if request is not None:
        with transaction.atomic():
            _audit(request, "read", actor=user, fields=QUOTE_FIELDS)
    return request


def fraud_report_get_for(*, user, public_id: uuid.UUID) -> FraudReport | None:
    """One fraud report for Billing or an Administrator, its read audited
    (``shop.fraud.read``); None when there is no such case."""
    _require(user)
    report = FraudReport.objects.filter(public_id=public_id).first()
    if report is not None:
        with transaction.atomic():
            _audit(report, "read", actor=user, fields=FRAUD_FIELDS)
    return report


def case_close(*, case: Case, by) -> bool:
    """Close a quote request or fraud report (Billing or Administrator, else
    ``PermissionDenied``): its retention period starts now. True when it was closed by this
    call, False when it already was (nothing is written then)."""
    _require(by)
    with transaction.atomic():
        row = type(case).objects.select_for_update().get(pk=case.pk)
        if row.status == CaseStatus.CLOSED:
            return False
        row.status = CaseStatus.CLOSED
        row.closed_at = timezone.now()
        row.save(update_fields=["status", "closed_at"])
        _audit(row, "close", actor=by, fields=("status", "closed_at"))
    case.status, case.closed_at = row.status, row.closed_at
    return True


# -- Retention ------------------------------------------------------------------------------------


@pruner("billing-cases")
def prune_billing_cases(*, dry_run: bool = False) -> int:
    """Quote requests and fraud reports closed longer ago than the billing-cases period:
    deleted, and their data keys destroyed (the cases are their own subjects), so e-mails
    about them and copies in backups become unreadable too. Open cases stay."""
    cutoff = timezone.now() - timedelta(days=RETENTION["billing-cases"].days)
    return sum(
        own_subject_rows_delete(
            model.objects.filter(status=CaseStatus.CLOSED, closed_at__lt=cutoff), dry_run=dry_run
        )
        for model in (QuoteRequest, FraudReport)
    )
