"""Forms of the shop: validation only (bounded dates: cll.lib.formfields).

No form carries a price, a total or a quantity: a line is one seat for one learner, and every
amount is read from the database (see cll/shop/cart.py). Anything of the kind posted anyway
is ignored.
"""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

# Markup and control characters would end up in e-mails, on the invoice and in HTML.
_FORBIDDEN_IN_LINE = re.compile(r"[<>\x00-\x1f\x7f]")
_FORBIDDEN_IN_TEXT = re.compile(r"[<>\x00-\x09\x0b\x0c\x0e-\x1f\x7f]")
_FORBIDDEN_MESSAGE = _("Please use letters only: no line breaks or characters such as < and >.")


class CartAddForm(forms.Form):
    """The session page's "add to cart" button: the session and who attends it."""

    session = forms.SlugField(max_length=96)
    # "" for the buyer themself, else a child's public id (checked against the guardianships).
    learner = forms.CharField(max_length=36, required=False)


class CartRemoveForm(forms.Form):
    line = forms.CharField(max_length=140)


class CheckoutForm(forms.Form):
    """What the buyer confirms at checkout, besides the cart itself."""

    billing_name = forms.CharField(
        label=_("Name on the invoice"),
        max_length=200,
        help_text=_("Your name, or the name of your organisation if it pays."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    billing_address = forms.CharField(
        label=_("Address on the invoice"),
        max_length=600,
        required=False,
        help_text=_("Optional: needed only if the invoice must show an address."),
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "street-address"}),
    )
    accept_terms = forms.BooleanField(
        label=_("I have read and I accept the general terms and conditions."),
        error_messages={"required": _("Please accept the general terms to place your order.")},
    )
    early_start = forms.BooleanField(
        label=_(
            "I ask you to start the course before the end of my 14-day withdrawal period. I "
            "understand that if I withdraw, I will pay for the lessons already given."
        ),
        required=False,
    )
    # What the buyer saw: the cart's digest and the terms' version (compared at placing).
    cart_digest = forms.CharField(widget=forms.HiddenInput, max_length=64)
    terms_version = forms.CharField(widget=forms.HiddenInput, max_length=32)

    def __init__(self, *args, early_start_offered: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not early_start_offered:
            # No session starts within the withdrawal period: nothing to ask.
            del self.fields["early_start"]

    def clean_billing_name(self) -> str:
        value = self.cleaned_data["billing_name"].strip()
        if _FORBIDDEN_IN_LINE.search(value):
            raise forms.ValidationError(_FORBIDDEN_MESSAGE, code="forbidden_characters")
        return value

    def clean_billing_address(self) -> str:
        value = self.cleaned_data["billing_address"].replace("\r\n", "\n").strip()
        if _FORBIDDEN_IN_TEXT.search(value):
            raise forms.ValidationError(_FORBIDDEN_MESSAGE, code="forbidden_characters")
        return value
