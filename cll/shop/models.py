"""The shop: orders of sessions, payments through an external provider, enrolments, invoices.

Money is integer cents (EUR) everywhere; people read and type euros. Every field is classified
in privacy.py. URLs carry ``public_id`` (or an invoice's number to its owner), never a primary
key.

Life of an order (services.py)::

    cart (in the session) --order_place--> Order PENDING, seats held until hold_until
        --payment confirmed (webhook or return, payments/)--> PAID: one Enrolment per line
        --payment failed / cancelled / hold expired--> CANCELLED: seats released
    PAID --refund (whole order)--> REFUNDED, enrolments cancelled, credit note issued

A seat is taken by an active enrolment or by a line of a PENDING order whose hold has not
expired; ``order_place`` counts them under a row lock on the session (PostgreSQL) or the
database's write lock (SQLite, BEGIN IMMEDIATE), so the last seat is sold once.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cll.core.encryption import BlindIndexField, EncryptedCharField, EncryptedTextField
from cll.courses.models import Course, Session


class OrderStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting payment")
    PAID = "paid", _("Paid")
    CANCELLED = "cancelled", _("Cancelled")
    REFUNDED = "refunded", _("Refunded")


class Order(models.Model):
    """What a buyer ordered at checkout: lines, totals, and what they accepted.

    The buyer is the account that pays (a guardian for a child); each line names the learner
    who attends. Totals are frozen at checkout: a later price change never alters an order.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # What people quote on the phone: short, unambiguous, unique ("K7M2-9XQ4").
    reference = models.CharField(_("reference"), max_length=16, unique=True)
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="orders",
        verbose_name=_("buyer"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=OrderStatus, default=OrderStatus.PENDING
    )
    # Billing identity as on the invoice, copied from the profile at checkout.
    billing_name = EncryptedCharField(_("name on the invoice"), max_length=200)
    billing_address = EncryptedTextField(_("address on the invoice"), max_length=600, blank=True)
    # The language the buyer used: e-mails and the invoice are written in it.
    language = models.CharField(_("language"), max_length=8)
    subtotal_cents = models.PositiveIntegerField(_("total before VAT"))
    vat_cents = models.PositiveIntegerField(_("VAT"))
    total_cents = models.PositiveIntegerField(_("total"))
    # Basis points (2100 = 21 %); 0 with the exemption mention for non-profit education.
    vat_rate_bp = models.PositiveSmallIntegerField(_("VAT rate"))
    # Version of the general terms the buyer accepted at checkout (policies app).
    terms_version = models.CharField(_("general terms accepted"), max_length=32)
    terms_accepted_at = models.DateTimeField(_("terms accepted at"))
    # Consumer's withdrawal right (Code of Economic Law, Art. VI.47): 14 days from the order.
    withdrawal_deadline = models.DateField(_("withdrawal possible until"))
    # The consumer's express request that the course start within the withdrawal period
    # (Art. VI.49 § 3): they then owe what was taught until they withdraw.
    early_start_requested = models.BooleanField(_("asked to start before the withdrawal period"))
    hold_until = models.DateTimeField(_("seats held until"))
    created_at = models.DateTimeField(_("ordered at"), auto_now_add=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(total_cents=models.F("subtotal_cents") + models.F("vat_cents")),
                name="shop_order_total_adds_up",
            ),
            models.CheckConstraint(
                condition=Q(status__in=OrderStatus.values), name="shop_order_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=OrderStatus.PAID) | Q(paid_at__isnull=False),
                name="shop_order_paid_has_date",
            ),
        ]
        indexes = [
            # order_list_for (the account's orders): one buyer's orders, newest first.
            models.Index(fields=["buyer", "-created_at"], name="shop_order_buyer_idx"),
            # seats_taken / hold expiry: pending orders by the end of their hold.
            models.Index(
                fields=["hold_until"],
                condition=Q(status="pending"),
                name="shop_order_pending_hold_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.reference


class OrderLine(models.Model):
    """One seat in one session for one learner (the buyer, or a child of the buyer)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    session = models.ForeignKey(
        Session, on_delete=models.PROTECT, related_name="order_lines", verbose_name=_("session")
    )
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="order_lines",
        verbose_name=_("learner"),
    )
    # What the invoice says, frozen at checkout (the session's title may change later).
    description = models.CharField(_("description"), max_length=300)
    price_cents = models.PositiveIntegerField(_("price"))

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "session", "learner"], name="shop_orderline_once_per_order"
            ),
        ]
        indexes = [
            # seats_taken: the lines of one session (joined to pending orders).
            models.Index(fields=["session", "order"], name="shop_orderline_session_idx"),
        ]

    def __str__(self) -> str:
        return self.description


class EnrolmentStatus(models.TextChoices):
    ACTIVE = "active", _("Enrolled")
    CANCELLED = "cancelled", _("Cancelled")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Enrolment(models.Model):
    """A learner's seat in a session, made by a paid order (or by staff)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    session = models.ForeignKey(
        Session, on_delete=models.PROTECT, related_name="enrolments", verbose_name=_("session")
    )
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="enrolments",
        verbose_name=_("learner"),
    )
    order_line = models.OneToOneField(
        OrderLine,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="enrolment",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=EnrolmentStatus, default=EnrolmentStatus.ACTIVE
    )
    created_at = models.DateTimeField(_("enrolled at"), auto_now_add=True)
    ended_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["created_at", "id"]
        constraints = [
            # A learner holds one seat per session at most.
            models.UniqueConstraint(
                fields=["session", "learner"],
                condition=Q(status="active"),
                name="shop_enrolment_one_active_per_learner",
            ),
            models.CheckConstraint(
                condition=Q(status__in=EnrolmentStatus.values),
                name="shop_enrolment_status_valid",
            ),
        ]
        indexes = [
            # seats_taken and the teacher's roster: active enrolments of one session.
            models.Index(
                fields=["session"], condition=Q(status="active"), name="shop_enrol_active_idx"
            ),
            # enrolment_list_for (my enrolments, my timetable): one learner's enrolments.
            models.Index(fields=["learner", "status"], name="shop_enrol_learner_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.session} · {self.public_id}"


class Attendance(models.Model):
    """Whether an enrolled learner attended one course (lesson), as marked by the teacher."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="attendance")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="attendance")
    present = models.BooleanField(_("present"))
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    marked_at = models.DateTimeField(_("marked at"), auto_now=True)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(
                fields=["enrolment", "course"], name="shop_attendance_once_per_course"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enrolment_id} · {self.course_id}: {'present' if self.present else 'absent'}"


class PaymentStatus(models.TextChoices):
    OPEN = "open", _("Open")
    PENDING = "pending", _("Being confirmed")
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")


class Payment(models.Model):
    """One attempt to pay an order at the provider. No card data ever reaches us: the person
    pays on the provider's page; we keep the provider's id, amount and outcome."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    # The adapter's name in settings.PAYMENT_PROVIDERS: "sandbox", "stripe", "mollie".
    provider = models.CharField(_("provider"), max_length=16)
    # The provider's id (Stripe Checkout Session id, Mollie payment id...).
    provider_ref = models.CharField(_("provider's reference"), max_length=255, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=PaymentStatus, default=PaymentStatus.OPEN
    )
    amount_cents = models.PositiveIntegerField(_("amount"))
    refunded_cents = models.PositiveIntegerField(_("refunded"), default=0)
    # The means of payment as the provider names it ("bancontact", "card"); never a number.
    method = models.CharField(_("method"), max_length=32, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_ref"],
                condition=~Q(provider_ref=""),
                name="shop_payment_provider_ref_unique",
            ),
            models.CheckConstraint(
                condition=Q(refunded_cents__lte=models.F("amount_cents")),
                name="shop_payment_refund_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(status__in=PaymentStatus.values), name="shop_payment_status_valid"
            ),
        ]
        indexes = [
            # payment_reconcile: payments still open or pending, oldest first.
            models.Index(
                fields=["created_at"],
                condition=Q(status__in=["open", "pending"]),
                name="shop_payment_unsettled_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.provider_ref or self.public_id}"


class RefundStatus(models.TextChoices):
    PENDING = "pending", _("Requested")
    REFUNDED = "refunded", _("Refunded")
    FAILED = "failed", _("Failed")


class Refund(models.Model):
    """Money sent back through the provider, for all or part of a payment."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    provider_ref = models.CharField(_("provider's reference"), max_length=255, blank=True)
    amount_cents = models.PositiveIntegerField(_("amount"))
    status = models.CharField(
        _("status"), max_length=16, choices=RefundStatus, default=RefundStatus.PENDING
    )
    # Why, in the staff member's words: shown on the credit note. No personal data expected.
    reason = models.CharField(_("reason"), max_length=300)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="shop_refund_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.payment} refund {self.amount_cents}"


class ProviderEvent(models.Model):
    """A webhook received from a payment provider, stored by its id before it is processed:
    a replayed or duplicated event finds its row and changes nothing."""

    provider = models.CharField(_("provider"), max_length=16)
    event_id = models.CharField(_("event id"), max_length=255)
    kind = models.CharField(_("type"), max_length=64)
    # The provider's id of the payment (or refund) the event is about.
    object_ref = models.CharField(_("object"), max_length=255)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    # What processing concluded ("paid", "ignored: older than the payment's state"...).
    outcome = models.CharField(_("outcome"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("provider event")
        verbose_name_plural = _("provider events")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "event_id"], name="shop_providerevent_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.event_id}"


class DocumentKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")


class InvoiceSequence(models.Model):
    """The last number given per kind and year: taken under a row lock in the transaction that
    issues the document, so numbers have no gap and no duplicate (a rollback returns it)."""

    kind = models.CharField(max_length=16, choices=DocumentKind)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "year"], name="shop_invoicesequence_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.year}: {self.last}"


class Invoice(models.Model):
    """An invoice (or credit note) issued for an order. The PDF is drawn from this row and the
    order when asked for; the amounts here are what the document says, for ever."""

    number = models.CharField(_("number"), max_length=20, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=DocumentKind)
    year = models.PositiveSmallIntegerField()
    sequence = models.PositiveIntegerField()
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="invoices")
    # A credit note names the invoice it corrects.
    credits = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="credit_notes"
    )
    refund = models.OneToOneField(
        Refund, on_delete=models.PROTECT, null=True, blank=True, related_name="credit_note"
    )
    issued_at = models.DateTimeField(_("issued at"))
    subtotal_cents = models.PositiveIntegerField(_("total before VAT"))
    vat_cents = models.PositiveIntegerField(_("VAT"))
    total_cents = models.PositiveIntegerField(_("total"))

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "year", "sequence"], name="shop_invoice_gap_free_number"
            ),
            # An order has one invoice; corrections are credit notes.
            models.UniqueConstraint(
                fields=["order"], condition=Q(kind="invoice"), name="shop_invoice_one_per_order"
            ),
            models.CheckConstraint(
                condition=Q(kind="invoice", credits__isnull=True)
                | Q(kind="credit_note", credits__isnull=False),
                name="shop_invoice_credit_note_names_invoice",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class WaitlistStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    OFFERED = "offered", _("Seat offered")
    ACCEPTED = "accepted", _("Seat taken")
    EXPIRED = "expired", _("Offer expired")
    LEFT = "left", _("Left the list")


class WaitlistEntry(models.Model):
    """A learner waiting for a seat in a full session. When a seat frees, the first waiting
    person is offered it by e-mail and it is held for them until ``offer_expires_at``; then
    the next one is offered it."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="waitlist")
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="waitlist_entries"
    )
    # Who asked (the learner, or their guardian), to whom the offer is e-mailed.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=WaitlistStatus, default=WaitlistStatus.WAITING
    )
    created_at = models.DateTimeField(_("joined at"), auto_now_add=True)
    offered_at = models.DateTimeField(_("offered at"), null=True, blank=True)
    offer_expires_at = models.DateTimeField(_("offer expires at"), null=True, blank=True)
    # sha256 of the e-mailed link's token (cll.lib.tokens); the link alone takes the seat.
    token_hash = models.CharField(max_length=64, blank=True)
    # The language of the page they joined from: the offer is e-mailed in it.
    language = models.CharField(_("language"), max_length=8, blank=True)

    class Meta:
        verbose_name = _("waiting-list entry")
        verbose_name_plural = _("waiting-list entries")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "learner"],
                condition=Q(status__in=["waiting", "offered"]),
                name="shop_waitlist_once_per_learner",
            ),
        ]
        indexes = [
            # waitlist_offer_next: the first waiting person of a session.
            models.Index(
                fields=["session", "created_at"],
                condition=Q(status="waiting"),
                name="shop_waitlist_queue_idx",
            ),
            # waitlist_expire_offers: offers by expiry.
            models.Index(
                fields=["offer_expires_at"],
                condition=Q(status="offered"),
                name="shop_waitlist_offer_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.session} · {self.public_id}"


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class QuoteKind(models.TextChoices):
    COMPANY = "company", _("Company training")
    INDIVIDUAL = "individual", _("Individual lessons")


class QuoteRequest(models.Model):
    """A request for a quote (company training, individual lessons), from anyone, handled by
    Billing. Its own data subject: it may come from a visitor without an account."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("what for"), max_length=16, choices=QuoteKind)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    session = models.ForeignKey(
        Session, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    name = EncryptedCharField(_("name"), max_length=200)
    email = EncryptedCharField(_("e-mail address"), max_length=254)
    email_index = BlindIndexField(source="email", purpose="shop.quote.email")
    phone = EncryptedCharField(_("telephone"), max_length=32, blank=True)
    organisation = EncryptedCharField(_("organisation"), max_length=200, blank=True)
    message = EncryptedTextField(_("message"), max_length=4000)
    language = models.CharField(_("language"), max_length=8)
    status = models.CharField(
        _("status"), max_length=16, choices=CaseStatus, default=CaseStatus.OPEN
    )
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("quote request")
        verbose_name_plural = _("quote requests")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return str(self.public_id)


class FraudReport(models.Model):
    """ "I see a CLL debit I did not make": a billing case. Its own data subject (the person
    may have no account)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    name = EncryptedCharField(_("name"), max_length=200)
    email = EncryptedCharField(_("e-mail address"), max_length=254)
    email_index = BlindIndexField(source="email", purpose="shop.fraud.email")
    debit_date = models.DateField(_("date of the debit"))
    amount_cents = models.PositiveIntegerField(_("amount"))
    # What the statement shows (e.g. the descriptor and the last digits the bank prints).
    statement_text = EncryptedTextField(_("what your statement shows"), max_length=1000)
    details = EncryptedTextField(_("details"), max_length=4000, blank=True)
    language = models.CharField(_("language"), max_length=8)
    status = models.CharField(
        _("status"), max_length=16, choices=CaseStatus, default=CaseStatus.OPEN
    )
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("report of a fraudulent debit")
        verbose_name_plural = _("reports of fraudulent debits")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return str(self.public_id)
