"""Forms of the billing cases (validation only): a request for a quote, a report of a
fraudulent debit.

Both are open to anyone, so both keep robots out without a third-party CAPTCHA: the
honeypot and minimum fill time of ``cll.core.antispam.HumanCheckForm``.

The flood limits per client IP and per address are the service's (``cases.case_rate_allows``).
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation

import phonenumbers
from django import forms
from django.utils.translation import gettext_lazy as _

from cll.core.antispam import ContactFields, HumanCheckForm
from cll.core.widgets import Select
from cll.courses.models import Session
from cll.lib.formfields import BoundedDateField, hidden_field_error_on_top, today
from cll.shop.models import QuoteKind

# Far above any debit of ours: refuses typing slips (an amount in cents, a card number).
MAX_AMOUNT_CENTS = 100_000_00
# How far back a debit may be reported: banks accept disputes of unauthorised card payments
# for 13 months; older ones are still worth telling us about.
DEBIT_MAX_AGE_DAYS = 2 * 366


class QuoteRequestForm(ContactFields, HumanCheckForm):
    kind = forms.ChoiceField(
        label=_("What would you like a quote for?"),
        choices=[("", "---------"), *QuoteKind.choices],
        # A list, as the site's other short choices are (radio buttons have no style here).
        widget=Select,
    )
    phone = forms.CharField(
        label=_("Telephone (optional)"),
        required=False,
        max_length=32,
        help_text=_("If you would rather we call you."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    organisation = forms.CharField(
        label=_("Company or organisation (optional)"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    message = forms.CharField(
        label=_("Your request"),
        max_length=4000,
        help_text=_(
            "The language, the level, how many people, and when and where you would like the "
            "lessons."
        ),
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    # The session the request started from (its public slug), if any.
    session = forms.ModelChoiceField(
        queryset=Session.objects.published(),
        to_field_name="slug",
        required=False,
        widget=forms.HiddenInput,
        error_messages={
            "invalid_choice": _(
                "The session you asked about is no longer offered. Your request is kept: "
                "send it again without it."
            )
        },
    )

    field_order = ["kind", "name", "email", "phone", "organisation", "message"]

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"].strip()
        if not phone:
            return ""
        try:
            number = phonenumbers.parse(phone, "BE")
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_valid_number(number):
            raise forms.ValidationError(
                _("Enter a valid telephone number, for example +32 10 47 00 00."), code="invalid"
            )
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    def clean(self):
        cleaned = super().clean()
        hidden_field_error_on_top(self, "session")
        return cleaned


# A card number: 13 to 19 digits, maybe in groups separated by spaces or dashes.
_CARD_NUMBER = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")


def _luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def contains_card_number(text: str) -> bool:
    """Whether ``text`` holds what looks like a full payment card number (13-19 digits
    passing the Luhn check)."""
    return any(
        _luhn_valid(re.sub(r"\D", "", match.group())) for match in _CARD_NUMBER.finditer(text)
    )


class NoCardNumberField(forms.CharField):
    """Free text that refuses a full card number: we never need one, and keeping it would
    break the promise that card data never reaches us."""

    def validate(self, value):
        super().validate(value)
        if value and contains_card_number(value):
            raise forms.ValidationError(
                _(
                    "This looks like a full card number. Please remove it: we never need it "
                    "(the last four digits are enough)."
                ),
                code="card_number",
            )


class EuroAmountField(forms.CharField):
    """An amount in euros as people type it ("65,00", "65.00", "1 234,56", "1.234,56",
    "€ 65"), cleaned to integer cents."""

    default_error_messages = {
        "invalid": _("Enter the amount in euros, for example 65,00."),
        "range": _("Enter an amount greater than zero and below 100,000 euros."),
    }

    # Checked on the text in to_python: CharField's own max_length validator would meet cents.
    MAX_LENGTH = 32

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "widget",
            forms.TextInput(attrs={"inputmode": "decimal", "maxlength": self.MAX_LENGTH}),
        )
        super().__init__(**kwargs)

    def to_python(self, value) -> int | None:
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        if len(text) > self.MAX_LENGTH:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        text = re.sub(r"[\s\u00a0\u202f'€]|EUR", "", text, flags=re.IGNORECASE)
        if not re.fullmatch(r"\d[\d.,]*", text):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        last = max(text.rfind(","), text.rfind("."))
        if last != -1 and len(text) - last - 1 in (1, 2):
            # The last separator followed by one or two digits is the decimal one.
            whole, decimals = text[:last], text[last + 1 :]
        else:
            whole, decimals = text, ""
        # What is left of the whole part may only be grouped by thousands.
        if not re.fullmatch(r"\d{1,3}([.,]\d{3})*|\d+", whole):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            amount = Decimal(re.sub(r"[.,]", "", whole) + "." + (decimals or "0"))
        except InvalidOperation:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        cents = int(amount * 100)
        if not 0 < cents < MAX_AMOUNT_CENTS:
            raise forms.ValidationError(self.error_messages["range"], code="range")
        return cents


def _earliest_debit() -> datetime.date:
    return today() - datetime.timedelta(days=DEBIT_MAX_AGE_DAYS)


class FraudReportForm(ContactFields, HumanCheckForm):
    debit_date = BoundedDateField(
        label=_("Date of the debit"),
        earliest=_earliest_debit,
        latest=today,
        help_text=_("As your bank statement shows it."),
    )
    amount = EuroAmountField(
        label=_("Amount debited, in euros"),
        help_text=_("For example 65,00."),
    )
    statement_text = NoCardNumberField(
        label=_("What your statement shows"),
        max_length=1000,
        help_text=_(
            "Copy the line of your statement: the name and reference shown. Never your full "
            "card number: the last four digits are enough."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    details = NoCardNumberField(
        label=_("Anything else we should know (optional)"),
        required=False,
        max_length=4000,
        help_text=_("For example whether someone in your family may have ordered a course."),
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    field_order = ["name", "email", "debit_date", "amount", "statement_text", "details"]
