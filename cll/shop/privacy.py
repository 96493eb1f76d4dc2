"""Data map of the shop (see cll/privacy/datamap.py).

Orders, their lines, payments, refunds and invoices are accounting records: the Belgian VAT
code makes us keep them (``CLL_ACCOUNTING_RETENTION_YEARS``, 10 by default). An erasure keeps
them under legal hold, detached from the person: the buyer and learner references are emptied
and the name and address on the invoice, sealed with the buyer's data key, are cleared (the
amounts and what was sold stay). Enrolments, attendance and waiting lists are the teaching
relationship: deleted with the account, and pruned after the session ended.
"""

from django.conf import settings
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from cll.accounts.privacy import RECOMMENDATIONS
from cll.privacy.datamap import (
    NOT_PERSONAL,
    Basis,
    Category,
    Erasure,
    FieldRule,
    Role,
    purpose,
    recipient,
    register,
    retention_rule,
    same,
)

ORDERING = purpose(
    "ordering",
    _(
        "Taking and paying your orders: the sessions you order, for whom, the amounts, the "
        "payment's outcome and the invoice."
    ),
)
ENROLMENT = purpose(
    "enrolment",
    _(
        "Giving you your seat in a session: the class list your teacher sees (name and level), "
        "attendance, and the waiting list when a session is full."
    ),
)
QUOTES = purpose(
    "quotes",
    _("Answering a request for a quote (company training, individual lessons)."),
)
FRAUD = purpose(
    "fraud-reports",
    _("Looking into a debit you did not make, with our payment provider and your bank."),
)

# The provider configured (CLL_PAYMENT_PROVIDER): Mollie B.V. (Netherlands) or Stripe
# Payments Europe (Ireland, with processing in the United States under the EU-US Data Privacy
# Framework and standard contractual clauses). The sandbox sends nothing out.
PAYMENT_PROVIDER = recipient(
    "payment-provider",
    "Payment provider (Mollie B.V. or Stripe Payments Europe Ltd, as configured)",
    _(
        "Our payment provider, on whose page you pay: it receives the amount, the order's "
        "reference and what you type on its page (card or bank details never reach us)."
    ),
    country={"mollie": "NL", "stripe": "IE"}.get(settings.PAYMENT_PROVIDER, "BE"),
    transfer_safeguard=(
        "EU-US Data Privacy Framework; standard contractual clauses (GDPR Art. 46(2)(c))"
        if settings.PAYMENT_PROVIDER == "stripe"
        else ""
    ),
)

_ACCOUNTING_YEARS = settings.ACCOUNTING_RETENTION_YEARS
ACCOUNTING = retention_rule(
    "accounting",
    format_lazy(
        ngettext_lazy(
            "Orders, payments and invoices are accounting records: kept {years} year after the "
            "end of the year they were made in, as the VAT code requires, then deleted. If you "
            "erase your account before, your name and address are removed from them.",
            "Orders, payments and invoices are accounting records: kept {years} years after the "
            "end of the year they were made in, as the VAT code requires, then deleted. If you "
            "erase your account before, your name and address are removed from them.",
            _ACCOUNTING_YEARS,
        ),
        years=_ACCOUNTING_YEARS,
    ),
    days=_ACCOUNTING_YEARS * 365 + 365,
)
_TEACHING_DAYS = settings.ENROLMENT_RETENTION_DAYS
TEACHING_RECORDS = retention_rule(
    "enrolments",
    format_lazy(
        ngettext_lazy(
            "Enrolments and attendance are kept {days} day after the session ended (for "
            "certificates and questions about it), then deleted; at once if you erase your "
            "account.",
            "Enrolments and attendance are kept {days} days after the session ended (for "
            "certificates and questions about it), then deleted; at once if you erase your "
            "account.",
            _TEACHING_DAYS,
        ),
        days=_TEACHING_DAYS,
    ),
    days=_TEACHING_DAYS,
)
WAITLIST = retention_rule(
    "waitlist",
    _(
        "A place on a waiting list is deleted when the session starts, or when you leave the "
        "list or take the seat."
    ),
    days=0,
)
CASES = retention_rule(
    "billing-cases",
    format_lazy(
        ngettext_lazy(
            "Kept {days} day after the request was closed, then deleted with its encryption key.",
            "Kept {days} days after the request was closed, then deleted with its encryption key.",
            settings.BILLING_CASE_RETENTION_DAYS,
        ),
        days=settings.BILLING_CASE_RETENTION_DAYS,
    ),
    days=settings.BILLING_CASE_RETENTION_DAYS,
)

_BILLING_READERS = (Role.SELF, Role.ADMINISTRATOR, Role.PRIVACY_OFFICER, Role.BILLING)
# Customer service sees who is enrolled in what, never payments (issue 13, item 9).
_ENROLMENT_READERS = (
    Role.SELF,
    Role.GUARDIAN,
    Role.ADMINISTRATOR,
    Role.PRIVACY_OFFICER,
    Role.BILLING,
    Role.CUSTOMER_SERVICE,
    Role.TEACHER,
)
_CASE_READERS = (Role.SELF, Role.ADMINISTRATOR, Role.PRIVACY_OFFICER, Role.BILLING)


def _accounting(category: str, erasure: str, *, encrypted: bool = False, recipients=()):
    return FieldRule(
        category,
        (ORDERING,),
        Basis.LEGAL_OBLIGATION,
        ACCOUNTING,
        erasure,
        readers=(*_BILLING_READERS, Role.GUARDIAN),
        recipients=recipients,
        encrypted=encrypted,
    )


# The person a record of sale is about: kept under legal hold, the reference emptied on erasure.
_SOLD_TO = _accounting(Category.IDENTITY, Erasure.LEGAL_HOLD)
# Amounts and what was sold, about a person while the reference stands: financial data.
_SALE = _accounting(Category.FINANCIAL, Erasure.LEGAL_HOLD, recipients=(PAYMENT_PROVIDER,))

register(
    "shop.Order",
    title=_("Orders"),
    subject="buyer",
    description="Orders of sessions: lines, totals, accepted terms, withdrawal right.",
    fields={
        **same(NOT_PERSONAL, "id", "public_id", "vat_rate_bp", "updated_at"),
        "buyer": _SOLD_TO,
        "billing_name": _accounting(Category.IDENTITY, Erasure.ANONYMISE, encrypted=True),
        "billing_address": _accounting(Category.CONTACT, Erasure.ANONYMISE, encrypted=True),
        **same(
            _SALE,
            "reference",
            "status",
            "language",
            "subtotal_cents",
            "vat_cents",
            "total_cents",
            "terms_version",
            "terms_accepted_at",
            "withdrawal_deadline",
            "early_start_requested",
            "hold_until",
            "created_at",
            "paid_at",
            "cancelled_at",
        ),
    },
)
register(
    "shop.OrderLine",
    title=_("Ordered sessions"),
    subject="learner",
    description="What each order bought: a seat in a session for a learner, at a price.",
    fields={
        **same(NOT_PERSONAL, "id", "order"),
        "learner": _SOLD_TO,
        **same(_SALE, "session", "description", "price_cents"),
    },
)
register(
    "shop.Payment",
    title=_("Payments"),
    subject="order__buyer",
    description="Payments of orders at the payment provider (no card data): amount, outcome.",
    fields={
        **same(NOT_PERSONAL, "id", "public_id", "order", "provider", "updated_at"),
        **same(
            _SALE,
            "provider_ref",
            "status",
            "amount_cents",
            "refunded_cents",
            "method",
            "created_at",
            "paid_at",
        ),
    },
)
register(
    "shop.Refund",
    title=_("Refunds"),
    subject="payment__order__buyer",
    description="Refunds sent through the payment provider.",
    fields={
        **same(NOT_PERSONAL, "id", "public_id", "payment", "requested_by", "updated_at"),
        **same(_SALE, "provider_ref", "amount_cents", "status", "reason", "created_at"),
    },
)
register(
    "shop.ProviderEvent",
    subject=None,
    description="Notifications (webhooks) received from the payment provider, by id.",
    fields=same(
        NOT_PERSONAL,
        "id",
        "provider",
        "event_id",
        "kind",
        "object_ref",
        "received_at",
        "processed_at",
        "outcome",
    ),
)
register(
    "shop.InvoiceSequence",
    subject=None,
    description="The last invoice and credit-note number given per year.",
    fields=same(NOT_PERSONAL, "id", "kind", "year", "last"),
)
register(
    "shop.Invoice",
    title=_("Invoices and credit notes"),
    subject="order__buyer",
    description="Invoices and credit notes issued for orders (numbered without gaps per year).",
    fields={
        **same(NOT_PERSONAL, "id", "order", "credits", "refund", "kind", "year", "sequence"),
        **same(
            _SALE,
            "number",
            "issued_at",
            "subtotal_cents",
            "vat_cents",
            "total_cents",
        ),
    },
)

# Past enrolments also feed the suggestions of sessions (cll/shop/recommendations.py), unless
# the person switched them off or restricted the processing.
_enrolment = FieldRule(
    Category.LEARNING,
    (ENROLMENT, RECOMMENDATIONS),
    Basis.CONTRACT,
    TEACHING_RECORDS,
    Erasure.DELETE,
    readers=_ENROLMENT_READERS,
)
register(
    "shop.Enrolment",
    title=_("Enrolments in sessions"),
    subject="learner",
    description="Who holds a seat in which session.",
    fields={
        **same(NOT_PERSONAL, "id", "public_id", "order_line"),
        **same(_enrolment, "session", "learner", "status", "created_at", "ended_at"),
    },
)
register(
    "shop.Attendance",
    title=_("Attendance"),
    subject="enrolment__learner",
    description="Attendance of enrolled learners at each lesson, marked by the teacher.",
    fields={
        **same(NOT_PERSONAL, "id", "marked_by"),
        **same(
            FieldRule(
                Category.LEARNING,
                (ENROLMENT,),
                Basis.CONTRACT,
                TEACHING_RECORDS,
                Erasure.DELETE,
                readers=(
                    Role.SELF,
                    Role.GUARDIAN,
                    Role.ADMINISTRATOR,
                    Role.PRIVACY_OFFICER,
                    Role.TEACHER,
                ),
            ),
            "enrolment",
            "course",
            "present",
            "marked_at",
        ),
    },
)
register(
    "shop.WaitlistEntry",
    title=_("Places on waiting lists"),
    subject="learner",
    description="Learners waiting for a seat in a full session, and the seats offered to them.",
    fields={
        **same(NOT_PERSONAL, "id", "public_id", "requested_by", "language"),
        "token_hash": FieldRule(
            Category.SECURITY,
            (ENROLMENT,),
            Basis.CONTRACT,
            WAITLIST,
            Erasure.DELETE,
            readers=(),
        ),
        **same(
            FieldRule(
                Category.LEARNING,
                (ENROLMENT,),
                Basis.CONTRACT,
                WAITLIST,
                Erasure.DELETE,
                readers=(
                    Role.SELF,
                    Role.GUARDIAN,
                    Role.ADMINISTRATOR,
                    Role.PRIVACY_OFFICER,
                    Role.BILLING,
                    Role.CUSTOMER_SERVICE,
                ),
            ),
            "session",
            "learner",
            "status",
            "created_at",
            "offered_at",
            "offer_expires_at",
        ),
    },
)


def _case(category: str, purpose_key: str, *, encrypted: bool = False, readers=_CASE_READERS):
    return FieldRule(
        category,
        (purpose_key,),
        Basis.LEGITIMATE_INTEREST if purpose_key == FRAUD else Basis.CONTRACT,
        CASES,
        Erasure.DELETE,
        readers=readers,
        encrypted=encrypted,
    )


register(
    "shop.QuoteRequest",
    title=_("Requests for a quote"),
    subject="id:public_id",
    description="Requests for a quote (company training, individual lessons), from anyone.",
    fields={
        **same(NOT_PERSONAL, "id", "public_id", "kind", "session", "language", "status"),
        "account": _case(Category.IDENTITY, QUOTES),
        "email_index": _case(Category.CONTACT, QUOTES, readers=()),
        **same(_case(Category.IDENTITY, QUOTES, encrypted=True), "name", "organisation"),
        **same(_case(Category.CONTACT, QUOTES, encrypted=True), "email", "phone"),
        "message": _case(Category.CONTENT, QUOTES, encrypted=True),
        **same(_case(Category.CONTENT, QUOTES), "created_at", "closed_at"),
    },
)
register(
    "shop.FraudReport",
    title=_("Reports of a fraudulent debit"),
    subject="id:public_id",
    description="Reports of a CLL debit the person did not make, handled by Billing.",
    fields={
        **same(NOT_PERSONAL, "id", "public_id", "language", "status"),
        "account": _case(Category.IDENTITY, FRAUD),
        "email_index": _case(Category.CONTACT, FRAUD, readers=()),
        "name": _case(Category.IDENTITY, FRAUD, encrypted=True),
        "email": _case(Category.CONTACT, FRAUD, encrypted=True),
        **same(_case(Category.FINANCIAL, FRAUD), "debit_date", "amount_cents"),
        **same(_case(Category.FINANCIAL, FRAUD, encrypted=True), "statement_text", "details"),
        **same(_case(Category.CONTENT, FRAUD), "created_at", "closed_at"),
    },
)
