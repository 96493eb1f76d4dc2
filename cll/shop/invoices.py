"""Invoices and credit notes: gap-free numbers per year, amounts frozen at issue, PDF on demand.

Numbering (Royal Decree no. 1 on VAT, Art. 5 § 1: a sequential number, in one or more series,
that identifies the document uniquely; we keep each series without gap or duplicate)
    Two series per calendar year (Europe/Brussels), one per kind:

    - invoices ``2026-000001``, ``2026-000002``...
    - credit notes ``NC-2026-000001``... ("note de crédit"), numbered in their own series, so a
      refund never leaves a hole in the invoices' numbers.

    The last number of each series is a row of ``InvoiceSequence``, locked (``SELECT ... FOR
    UPDATE``) in the transaction that issues the document and bumped there. A concurrent issuer
    waits for the lock, so no two documents get one number; a rolled-back issuer rolls its bump
    back with it, so no number is burnt. The year's row is created by an insert that ignores a
    conflict (``INSERT ... ON CONFLICT DO NOTHING``) before it is locked: two first issuers of a
    year never fail on the unique constraint, on PostgreSQL or SQLite. On SQLite, writers are
    serialised by the database (``BEGIN IMMEDIATE``) anyway.

Amounts
    An invoice copies the order's totals at issue; a credit note the refund's amount, its VAT
    share in proportion to the invoice's (the last credit note of an invoice takes exactly what
    VAT is left, so rounding never leaves a cent of VAT behind). A document's amounts never
    change afterwards; the PDF is drawn from the row each time it is asked for.

Privacy
    The buyer's name and address are read from the order (sealed with the buyer's data key).
    After an erasure they are gone and the PDF says so: the invoice itself stays, under the
    accounting legal hold (cll/shop/privacy.py). Downloading a PDF is audited
    (``invoice.download``), as every read of a record about a person.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import weasyprint
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Sum
from django.http import Http404
from django.template.loader import get_template, render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from weasyprint.urls import URLFetcher

from cll.core.roles import Role, acting_role
from cll.privacy.services import audit_record
from cll.shop.models import (
    DocumentKind,
    Invoice,
    InvoiceSequence,
    Order,
    OrderStatus,
    Refund,
    RefundStatus,
)

# The credit notes' own series (see the module's docstring).
CREDIT_NOTE_PREFIX = "NC-"
# Roles that may work on invoices for someone else (staff pages); what they do is audited.
STAFF_ROLES = (Role.BILLING, Role.ADMINISTRATOR)
_TEMPLATE = "shop/invoice/invoice.html"
# What a document number looks like (anything else is not looked up at all).
NUMBER_RE = re.compile(r"(?:NC-)?\d{4}-\d{6}")


class InvoiceError(Exception):
    """A document that cannot be issued (the order is not paid, the refund did not go
    through, or it would credit more than was invoiced). The message is for the caller."""


def invoice_number(*, kind: str, year: int, sequence: int) -> str:
    """The printed number of the document ``sequence`` of ``year`` in the series of ``kind``."""
    prefix = CREDIT_NOTE_PREFIX if kind == DocumentKind.CREDIT_NOTE else ""
    return f"{prefix}{year}-{sequence:06d}"


def _next_sequence(*, kind: str, year: int) -> int:
    """The next number of a series, taken under the series' row lock in the current
    transaction (the caller's): released at its commit, given back by its rollback.

    One statement (``UPDATE … RETURNING``) takes the lock and the number: every paid order of
    the site waits for this row, so it is taken as late and as briefly as possible (callers
    issue the invoice last in their transaction)."""
    for _attempt in range(2):
        taken = _increment(kind=kind, year=year)
        if taken is not None:
            return taken
        # The first document of a year creates its row; a concurrent first one does nothing
        # here (the unique constraint) and both then take their number from it.
        InvoiceSequence.objects.bulk_create(
            [InvoiceSequence(kind=kind, year=year, last=0)], ignore_conflicts=True
        )
    raise InvoiceError(f"No number series for {kind} {year}.")


# The ORM's update() returns a count, not the new value: one fixed statement, values bound.
_INCREMENT = (
    'UPDATE "shop_invoicesequence" SET "last" = "last" + 1 WHERE "kind" = %s AND "year" = %s '
    'RETURNING "last"'
)


def _increment(*, kind: str, year: int) -> int | None:
    with connection.cursor() as cursor:
        cursor.execute(_INCREMENT, [kind, year])
        row = cursor.fetchone()
    return row[0] if row else None


def _issue(*, kind: str, order: Order, amounts: tuple[int, int, int], **links) -> Invoice:
    issued_at = timezone.now()
    year = timezone.localdate(issued_at).year
    sequence = _next_sequence(kind=kind, year=year)
    subtotal, vat, total = amounts
    invoice = Invoice.objects.create(
        number=invoice_number(kind=kind, year=year, sequence=sequence),
        kind=kind,
        year=year,
        sequence=sequence,
        order=order,
        issued_at=issued_at,
        subtotal_cents=subtotal,
        vat_cents=vat,
        total_cents=total,
        **links,
    )
    audit_record(
        action="invoice.issue",
        target=invoice,
        detail={"number": invoice.number, "kind": kind, "order": order.public_id},
    )
    return invoice


def invoice_issue(*, order: Order) -> Invoice:
    """The invoice of a paid order, issued once: a second call returns the same invoice.

    Call it in the transaction that marks the order paid, after the order is saved as paid
    (``services.order_mark_paid``): the number is taken in that transaction, so if it rolls
    back, the number is given back. The order's row is locked first, so two calls for one
    order (a webhook and the return page at once) issue one invoice. Raises ``InvoiceError``
    for an order that was never paid.
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        existing = Invoice.objects.filter(order=order, kind=DocumentKind.INVOICE).first()
        if existing is not None:
            return existing
        if order.paid_at is None or order.status not in (OrderStatus.PAID, OrderStatus.REFUNDED):
            raise InvoiceError(f"Order {order.reference} is not paid: no invoice.")
        return _issue(
            kind=DocumentKind.INVOICE,
            order=order,
            amounts=(order.subtotal_cents, order.vat_cents, order.total_cents),
        )


def _credit_amounts(invoice: Invoice, amount_cents: int) -> tuple[int, int, int]:
    """(subtotal, VAT, total) of a credit of ``amount_cents`` (VAT included) on ``invoice``."""
    credited = Invoice.objects.filter(credits=invoice).aggregate(
        total=Sum("total_cents"), vat=Sum("vat_cents")
    )
    credited_total, credited_vat = credited["total"] or 0, credited["vat"] or 0
    left = invoice.total_cents - credited_total
    if amount_cents > left:
        raise InvoiceError(
            f"A credit of {amount_cents} cents exceeds what is left on {invoice.number} "
            f"({left} cents)."
        )
    if amount_cents == left:
        # The last credit takes exactly what VAT is left: no rounding residue.
        vat = invoice.vat_cents - credited_vat
    elif invoice.total_cents:
        # The invoice's VAT share, rounded half up to the cent.
        vat = (amount_cents * invoice.vat_cents * 2 + invoice.total_cents) // (
            invoice.total_cents * 2
        )
    else:
        vat = 0
    return amount_cents - vat, vat, amount_cents


def credit_note_issue(*, refund: Refund) -> Invoice:
    """The credit note of a refund that went through, issued once per refund: a second call
    returns the same one.

    It names the order's invoice (issued now if it was not yet) and credits the refund's
    amount, VAT in proportion. Call it in the transaction that records the refund as done
    (``services.order_refunded``). Raises ``InvoiceError`` when the refund did not go through
    or would credit more than the invoice has left.
    """
    with transaction.atomic():
        refund = Refund.objects.select_related("payment").get(pk=refund.pk)
        order = Order.objects.select_for_update().get(pk=refund.payment.order_id)
        existing = Invoice.objects.filter(refund=refund).first()
        if existing is not None:
            return existing
        if refund.status != RefundStatus.REFUNDED:
            raise InvoiceError(f"Refund {refund.public_id} has not gone through: no credit note.")
        invoice = invoice_issue(order=order)
        return _issue(
            kind=DocumentKind.CREDIT_NOTE,
            order=order,
            amounts=_credit_amounts(invoice, refund.amount_cents),
            credits=invoice,
            refund=refund,
        )


# -- Reading ------------------------------------------------------------------------------------


def invoice_get_for(*, user, number: str) -> Invoice:
    """The invoice or credit note ``number`` if ``user`` bought the order (a guardian who paid
    for a child is the buyer); 404 for anyone else, staff included (their pages are separate
    and audited by role), so a guessed number tells nothing."""
    if not getattr(user, "is_authenticated", False) or not NUMBER_RE.fullmatch(number):
        raise Http404
    invoice = (
        Invoice.objects.select_related("order", "credits", "refund")
        .filter(number=number, order__buyer=user)
        .first()
    )
    if invoice is None:
        raise Http404
    return invoice


def invoice_list_for(*, user):
    """The invoices and credit notes of the orders ``user`` bought, newest first."""
    return (
        Invoice.objects.select_related("order", "credits")
        .filter(order__buyer=user)
        .order_by("-issued_at", "-id")
    )


# Fields of the order and document a PDF shows (named in the audit entry of each download).
PDF_FIELDS = (
    "number",
    "issued_at",
    "subtotal_cents",
    "vat_cents",
    "total_cents",
    "billing_name",
    "billing_address",
    "reference",
    "paid_at",
)


def invoice_download(*, invoice: Invoice, actor, route: str = "") -> bytes:
    """The PDF of ``invoice`` for ``actor`` (its buyer, or staff through their own pages), with
    an ``invoice.download`` audit entry naming the fields shown. The caller has checked the
    access (``invoice_get_for`` or a staff selector)."""
    pdf = invoice_pdf(invoice=invoice)
    with transaction.atomic():
        audit_record(
            actor=actor,
            role=acting_role(actor, *STAFF_ROLES),
            action="invoice.download",
            target=invoice,
            fields=PDF_FIELDS,
            route=route,
            detail={"number": invoice.number},
        )
    return pdf


# -- The PDF ------------------------------------------------------------------------------------


class _LocalFiles(URLFetcher):
    """WeasyPrint's fetcher, limited to files of one directory (the invoice's stylesheet).

    Nothing is fetched from the network: not a font, not an image (a request would tell a
    third party who opens which invoice, and could stall the worker). Fonts are the system's.
    Anything else stops the rendering, so a mistake in the template shows in the tests.
    """

    def __init__(self, root: Path):
        super().__init__(allowed_protocols={"file"}, allow_redirects=False, fail_on_errors=True)
        self._root = root.resolve()

    def fetch(self, url, headers=None):
        parts = urlsplit(url)
        if parts.scheme != "file":
            raise ValueError(f"Invoices fetch nothing from the network: {url}")
        path = Path(url2pathname(parts.path)).resolve()
        if not path.is_relative_to(self._root):
            raise ValueError(f"Invoices read no file outside {self._root}: {url}")
        return super().fetch(url, headers)


def _template_dir() -> Path:
    return Path(get_template(_TEMPLATE).origin.name).parent


def _vat_rate(rate_bp: int) -> str:
    # 2100 -> "21", 550 -> "5,5" (in the active language's format).
    return formats.number_format((Decimal(rate_bp) / 100).normalize(), use_l10n=True)


def _lines(invoice: Invoice) -> list[tuple[str, int]]:
    """(description, amount VAT included) of each line the document shows."""
    order_lines = [(line.description, line.price_cents) for line in invoice.order.lines.all()]
    if invoice.kind == DocumentKind.INVOICE or invoice.total_cents == sum(
        amount for _description, amount in order_lines
    ):
        return order_lines
    # A partial refund credits an amount, not particular lines.
    return [
        (
            _("Partial refund of invoice %(number)s") % {"number": invoice.credits.number},
            invoice.total_cents,
        )
    ]


def invoice_html(*, invoice: Invoice) -> str:
    """The HTML the PDF is drawn from, in the order's language."""
    order = invoice.order
    language = order.language if order.language in dict(settings.LANGUAGES) else None
    with translation.override(language or settings.LANGUAGE_CODE):
        context = {
            "invoice": invoice,
            "is_credit_note": invoice.kind == DocumentKind.CREDIT_NOTE,
            "order": order,
            "seller": {
                "name": settings.SHOP_SELLER_NAME,
                "address": settings.SHOP_SELLER_ADDRESS,
                "vat_number": settings.SHOP_SELLER_VAT_NUMBER,
            },
            # Empty after the buyer's erasure (their data key destroyed): the template says so.
            "buyer_name": order.billing_name or "",
            "buyer_address": order.billing_address or "",
            "lines": _lines(invoice),
            "vat_rate": _vat_rate(order.vat_rate_bp),
            "vat_exempt": order.vat_rate_bp == 0,
            "exemption_mention": settings.SHOP_VAT_EXEMPTION_MENTION,
            "language": translation.get_language(),
        }
        return render_to_string(_TEMPLATE, context)


def invoice_pdf(*, invoice: Invoice) -> bytes:
    """The PDF of an invoice or credit note (WeasyPrint), everything local: the stylesheet
    beside the template, system fonts, no network."""
    root = _template_dir()
    document = weasyprint.HTML(
        string=invoice_html(invoice=invoice),
        base_url=root.as_uri() + "/",
        url_fetcher=_LocalFiles(root),
    )
    return document.write_pdf()
