"""Forms of the accounts app: validation only (writes are in services.py)."""

from __future__ import annotations

import datetime
import re

import phonenumbers
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from cll.accounts.models import CefrLevel

# Markup and line breaks in names would end up in e-mail headers, invoices and HTML.
_FORBIDDEN_IN_LINE = re.compile(r"[<>\x00-\x1f\x7f]")
_POSTCODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 -]{1,14}$")
PROFILE_FIELDS = (
    "first_name",
    "last_name",
    "street",
    "postcode",
    "city",
    "country",
    "phone",
    "native_language",
    "learning_languages",
    "level",
    "objectives",
    "birth_date",
    "other_details",
)


def _line(label, max_length: int, help_text, *, required: bool = False, autocomplete: str = ""):
    attrs = {"autocomplete": autocomplete} if autocomplete else {}
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        help_text=help_text,
        widget=forms.TextInput(attrs=attrs),
    )


class ProfileFieldsForm(forms.Form):
    """The learner profile's fields: only the names are required, each says why it is asked."""

    first_name = _line(
        _("First name"),
        100,
        _("Required: to address you and to put your name on your registrations and invoices."),
        required=True,
        autocomplete="given-name",
    )
    last_name = _line(
        _("Last name"),
        100,
        _("Required: to address you and to put your name on your registrations and invoices."),
        required=True,
        autocomplete="family-name",
    )
    street = _line(
        _("Street and number"),
        200,
        _("Optional: printed on your invoices."),
        autocomplete="street-address",
    )
    postcode = _line(
        _("Postcode"), 16, _("Optional: printed on your invoices."), autocomplete="postal-code"
    )
    city = _line(
        _("City"), 100, _("Optional: printed on your invoices."), autocomplete="address-level2"
    )
    country = forms.ChoiceField(
        label=_("Country"),
        required=False,
        help_text=_("Optional: printed on your invoices."),
        widget=forms.Select(attrs={"autocomplete": "country"}),
    )
    phone = _line(
        _("Telephone"),
        30,
        _("Optional: to reach you quickly if a course is cancelled or moved."),
        autocomplete="tel",
    )
    native_language = _line(
        _("Native language"),
        50,
        _("Optional: helps your teacher anticipate typical difficulties."),
    )
    learning_languages = _line(
        _("Language(s) you want to learn"),
        200,
        _("Optional: to suggest the right sessions."),
    )
    level = forms.ChoiceField(
        label=_("Your level (CEFR)"),
        required=False,
        choices=[("", "—"), *CefrLevel.choices],
        help_text=_("Optional: to place you in the right group."),
    )
    objectives = forms.CharField(
        label=_("Learning objectives"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Optional: lets your teacher adapt the course to what you need."),
    )
    birth_date = forms.DateField(
        label=_("Date of birth"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}, format="%Y-%m-%d"),
        help_text=_(
            "Optional: children under 13 need a parent's permission, and some courses are by age."
        ),
    )
    other_details = forms.CharField(
        label=_("Other details"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Optional: anything you want us to know (for example, accessibility needs)."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", "—"), *countries]

    def _clean_line(self, name: str) -> str:
        value = self.cleaned_data.get(name, "").strip()
        if _FORBIDDEN_IN_LINE.search(value):
            raise forms.ValidationError(
                _("Please use letters only: no line breaks or characters such as < and >."),
                code="forbidden_characters",
            )
        return value

    def clean_first_name(self) -> str:
        return self._clean_line("first_name")

    def clean_last_name(self) -> str:
        return self._clean_line("last_name")

    def clean_street(self) -> str:
        return self._clean_line("street")

    def clean_city(self) -> str:
        return self._clean_line("city")

    def clean_native_language(self) -> str:
        return self._clean_line("native_language")

    def clean_learning_languages(self) -> str:
        return self._clean_line("learning_languages")

    def clean_birth_date(self) -> datetime.date | None:
        value = self.cleaned_data.get("birth_date")
        if value is None:
            return None
        if value > timezone.localdate():
            raise forms.ValidationError(
                _("A date of birth cannot be in the future."), code="future"
            )
        if value.year < 1900:
            raise forms.ValidationError(_("Please check the year."), code="too_old")
        return value

    def clean(self):
        cleaned = super().clean()
        country = cleaned.get("country") or ""
        postcode = (cleaned.get("postcode") or "").strip()
        if postcode:
            valid = (
                postcode.isdigit() and len(postcode) == 4 and 1000 <= int(postcode) <= 9999
                if country in ("", "BE")
                else bool(_POSTCODE.match(postcode))
            )
            if not valid:
                self.add_error(
                    "postcode",
                    forms.ValidationError(
                        _("This postcode is not valid (a Belgian postcode is 1000 to 9999)."),
                        code="invalid_postcode",
                    ),
                )
            else:
                cleaned["postcode"] = postcode.upper()
        phone = (cleaned.get("phone") or "").strip()
        if phone:
            try:
                number = phonenumbers.parse(phone, country or "BE")
            except phonenumbers.NumberParseException:
                number = None
            if number is None or not phonenumbers.is_valid_number(number):
                self.add_error(
                    "phone",
                    forms.ValidationError(
                        _("This telephone number is not valid. Example: +32 10 12 34 56."),
                        code="invalid_phone",
                    ),
                )
            else:
                cleaned["phone"] = phonenumbers.format_number(
                    number, phonenumbers.PhoneNumberFormat.E164
                )
        return cleaned

    def profile_data(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in PROFILE_FIELDS}


class SignupForm(ProfileFieldsForm):
    """allauth's ACCOUNT_SIGNUP_FORM_CLASS: its fields are added to allauth's signup form."""

    def signup(self, request, user) -> None:
        # allauth's hook, called once the user row exists; the write is the service's.
        from cll.accounts.services import profile_create

        profile_create(user=user, data=self.profile_data())


class ProfileForm(ProfileFieldsForm):
    """The profile page's form."""
