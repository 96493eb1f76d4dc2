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


class AccountDeleteForm(forms.Form):
    """Deleting one's account asks for the password (and nothing is undone afterwards)."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("To confirm that it is you. Your account cannot be restored afterwards."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("This password is not correct."), code="password")
        return password


class AccountReactivateForm(forms.Form):
    """Signing in to an account one deactivated, which switches it back on."""

    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def clean(self):
        from allauth.account.adapter import get_adapter
        from allauth.core import ratelimit

        from cll.accounts.models import User

        cleaned = super().clean()
        email, password = cleaned.get("email"), cleaned.get("password")
        if email and password:
            # Counted with failed sign-ins (ACCOUNT_RATE_LIMITS["login_failed"]).
            if self.request is not None and not ratelimit.consume(
                self.request, action="login_failed", key=f"reactivate:{email.lower()}"
            ):
                raise forms.ValidationError(
                    get_adapter().error_messages["too_many_login_attempts"], code="ratelimit"
                )
            user = User.objects.filter(
                email=email.lower(), is_active=False, deactivated_at__isnull=False
            ).first()
            # Same answer for unknown, active and wrong-password accounts (no enumeration);
            # the password is hashed either way so timing does not tell them apart.
            if user is None:
                User().set_password(password)
                raise forms.ValidationError(self._refused(), code="refused")
            if not user.check_password(password):
                raise forms.ValidationError(self._refused(), code="refused")
            cleaned["user"] = user
        return cleaned

    @staticmethod
    def _refused():
        return _("The e-mail address or the password is not correct.")


class ParentEmailForm(forms.Form):
    """All a child under the digital consent age is asked: a parent's e-mail address."""

    parent_email = forms.EmailField(
        label=_("Your parent's or guardian's e-mail address"),
        max_length=254,
        help_text=_(
            "We send them a link to give their permission and create your account. "
            "We keep nothing else about you."
        ),
    )

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def clean(self):
        from allauth.core import ratelimit

        cleaned = super().clean()
        email = cleaned.get("parent_email")
        # Each request e-mails an address the visitor typed: throttled per client IP and per
        # address (ACCOUNT_RATE_LIMITS["parental_consent"]; the key is hashed in the cache).
        if (
            email
            and self.request is not None
            and not ratelimit.consume(
                self.request, action="parental_consent", key=email.strip().lower()
            )
        ):
            raise forms.ValidationError(
                _(
                    "Too many requests have been sent for this address or from this "
                    "connection. Please try again later."
                ),
                code="ratelimit",
            )
        return cleaned

    @property
    def rate_limited(self) -> bool:
        return any(error.code == "ratelimit" for error in self.non_field_errors().as_data())


class HandoverForm(forms.Form):
    """The child's own e-mail address and password, when they take over their account."""

    email = forms.EmailField(
        label=_("Your own e-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_("You will sign in with it; we send a link to check it."),
    )
    password1 = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Your password (again)"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_email(self):
        from cll.accounts.models import User

        email = self.cleaned_data["email"].lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                _("This e-mail address cannot be used. Please choose another one."), code="taken"
            )
        return email

    def clean(self):
        from django.contrib.auth.password_validation import validate_password

        cleaned = super().clean()
        one, two = cleaned.get("password1"), cleaned.get("password2")
        if one and two:
            if one != two:
                self.add_error(
                    "password2",
                    forms.ValidationError(_("The two passwords differ."), code="mismatch"),
                )
            else:
                try:
                    validate_password(one)
                except forms.ValidationError as error:
                    self.add_error("password1", error)
        return cleaned
