"""Forms of the shop's staff pages: validation only (the writes are services)."""

from __future__ import annotations

import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from cll.courses.admin import EuroField
from cll.courses.prices import euros
from cll.lib.formfields import BoundedDateField, today
from cll.shop.models import OrderStatus
from cll.shop.staff_selectors import EARLIEST_ORDER_DATE, LearnerRow

REFERENCE_MAX_LENGTH = 16


class OrderFilterForm(forms.Form):
    """The orders list's filters (GET); every one is optional."""

    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("Any status")), *OrderStatus.choices],
        required=False,
    )
    start = BoundedDateField(
        label=_("Ordered from"), earliest=EARLIEST_ORDER_DATE, latest=today, required=False
    )
    end = BoundedDateField(
        label=_("Ordered until"), earliest=EARLIEST_ORDER_DATE, latest=today, required=False
    )
    reference = forms.CharField(
        label=_("Reference"),
        max_length=REFERENCE_MAX_LENGTH,
        required=False,
        help_text=_("All or part of the order's reference, e.g. K7M2."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and start > end:
            self.add_error("end", _("The end date must be on or after the start date."))
        return cleaned


class AccountingExportForm(forms.Form):
    """The accountant's period (both days included)."""

    start = BoundedDateField(label=_("From"), earliest=EARLIEST_ORDER_DATE, latest=today)
    end = BoundedDateField(label=_("To"), earliest=EARLIEST_ORDER_DATE, latest=today)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and start > end:
            self.add_error("end", _("The end date must be on or after the start date."))
        return cleaned


class AmountField(EuroField):
    """An amount typed in euros ("120" or "120,50"), cleaned to integer cents."""

    default_error_messages = {
        "invalid": _("Enter an amount in euros, for example 120 or 120,50."),
        "negative": _("An amount cannot be negative."),
    }


class RefundForm(forms.Form):
    """A refund of all or part of a paid payment: at most what is left to refund."""

    amount = AmountField(
        label=_("Amount to refund (€)"),
        help_text=_("In euros, e.g. 120 or 120,50."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        help_text=_(
            "Printed on the credit note: say why (e.g. withdrawal within 14 days), without "
            "personal details."
        ),
    )

    def __init__(self, *args, refundable_cents: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.refundable_cents = refundable_cents

    def clean_amount(self) -> int:
        cents = self.cleaned_data["amount"]
        if cents == 0:
            raise ValidationError(_("Enter an amount above zero."), code="zero")
        if cents > self.refundable_cents:
            raise ValidationError(
                _("At most %(amount)s can still be refunded on this payment."),
                code="too_much",
                params={"amount": euros(self.refundable_cents)},
            )
        return cents


class AttendanceForm(forms.Form):
    """One checkbox per learner of the lesson: ticked when they came."""

    present = forms.MultipleChoiceField(
        label=_("Present"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick the learners who came; the others are marked absent."),
    )

    def __init__(self, *args, learners: list[LearnerRow], **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["present"]
        field.choices = [(str(row.key), _learner_label(row)) for row in learners]
        if not self.is_bound:
            self.initial["present"] = [str(row.key) for row in learners if row.present]

    def clean_present(self) -> set[uuid.UUID]:
        # Only the offered choices pass the field's own check: each is an enrolment's id.
        return {uuid.UUID(value) for value in self.cleaned_data["present"]}


def _learner_label(row: LearnerRow) -> str:
    name = row.name or str(_("(no name given)"))
    return f"{name} ({row.level})" if row.level else name
