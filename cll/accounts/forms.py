"""Forms of the accounts app: validation only (writes are in services.py)."""

from __future__ import annotations

import datetime
import functools
import re
import uuid

import phonenumbers
from allauth.account.adapter import get_adapter
from allauth.core import ratelimit
from django import forms
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from cll.accounts.hooks import signup_extras
from cll.accounts.models import PROFILE_FIELDS, CefrLevel, User
from cll.accounts.services import is_under_consent_age, profile_create
from cll.core.choices import FixedChoices
from cll.core.forms import SharedFieldsForm
from cll.core.widgets import Select
from cll.lib.formfields import BoundedDateField, BoundedDateInput, today


@functools.cache
def _country_choices(language: str | None) -> FixedChoices:
    # About 250 names, translated and sorted in the active language: once per language (every
    # profile page and sign-up showed it), not once per form, and written once per selection.
    return FixedChoices([("", "—"), *countries])


@functools.cache
def _level_choices(language: str | None) -> FixedChoices:
    # The levels, one label a sentence in that language: their options written once per
    # selection too, not once per form.
    return FixedChoices([("", "—"), *CefrLevel.choices])


# Markup and line breaks in names would end up in e-mail headers, invoices and HTML.
_FORBIDDEN_IN_LINE = re.compile(r"[<>\x00-\x1f\x7f]")
_POSTCODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 -]{1,14}$")


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
        # About 250 countries: written in Python, not through a template per option.
        widget=Select(attrs={"autocomplete": "country"}),
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
    birth_date = BoundedDateField(
        label=_("Date of birth"),
        required=False,
        earliest=datetime.date(1900, 1, 1),
        latest=today,
        widget=BoundedDateInput(attrs={"autocomplete": "bday"}),
        error_messages={
            "too_early": _("Please check the year."),
            "future": _("A date of birth cannot be in the future."),
        },
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
        if not getattr(self, "fields_shared", False):
            self.localise_fields(self.fields, get_language())

    @classmethod
    def localise_fields(cls, fields: dict, language: str | None) -> None:
        fields["country"].choices = _country_choices(language)
        fields["level"].choices = _level_choices(language)

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
    """allauth's ACCOUNT_SIGNUP_FORM_CLASS: its fields are added to allauth's signup form.

    Age gate (GDPR Art. 8, reasonable efforts): no account without either a date of birth or
    the explicit declaration ``age_confirmed`` ("I am 13 or older"); a blank date alone no
    longer passes for an adult. A date under ``settings.DIGITAL_CONSENT_AGE`` goes to the
    parental consent path: the sign-up view redirects there before this form is read (nothing
    the child typed is kept), and this form refuses it too, for any other way in.
    """

    age_confirmed = forms.BooleanField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.consent_age = settings.DIGITAL_CONSENT_AGE
        age = {"age": self.consent_age}
        self.fields["birth_date"].help_text = (
            _(
                "Give your date of birth, or tick the box below: children under %(age)s need "
                "a parent's permission, and some courses are by age."
            )
            % age
        )
        declaration = self.fields["age_confirmed"]
        declaration.label = _("I am %(age)s or older") % age
        declaration.help_text = _("Tick it if you leave your date of birth empty.")
        # Right after the date of birth, which it stands in for (screen and keyboard order).
        order = [name for name in self.fields if name != "age_confirmed"]
        order.insert(order.index("birth_date") + 1, "age_confirmed")
        self.fields = {name: self.fields[name] for name in order}
        # Fields of apps above accounts (the newsletter's box...): cll/accounts/hooks.py.
        for extra in signup_extras():
            self.fields[extra.name] = extra.field()

    def clean(self):
        cleaned = super().clean()
        if "birth_date" in self.errors:
            return cleaned
        birth_date = cleaned.get("birth_date")
        age = {"age": self.consent_age}
        if birth_date is None and not cleaned.get("age_confirmed"):
            self.add_error(
                "age_confirmed",
                forms.ValidationError(
                    _("Please give your date of birth, or confirm that you are %(age)s or older."),
                    code="age_required",
                    params=age,
                ),
            )
        elif is_under_consent_age(birth_date):
            self.add_error(
                "birth_date",
                forms.ValidationError(
                    _(
                        "Children under %(age)s need a parent's permission: please use the "
                        "sign-up page for children."
                    ),
                    code="under_consent_age",
                    params=age,
                ),
            )
        return cleaned

    def signup(self, request, user) -> None:
        # allauth's hook, called once the user row exists; the write is the service's.
        if not isinstance(user.public_id, uuid.UUID):
            # A provider's sign-up restores the user from the session, where the public id
            # became text; the person's data key is looked up by the UUID the row holds.
            user.refresh_from_db(fields=["public_id"])
        age_declared = self.cleaned_data.get("birth_date") is None and bool(
            self.cleaned_data.get("age_confirmed")
        )
        profile_create(user=user, data=self.profile_data(), age_declared=age_declared)
        for extra in signup_extras():
            extra.after_signup(request, user, self.cleaned_data.get(extra.name))


class ProfileForm(SharedFieldsForm, ProfileFieldsForm):
    """The profile page's form (shown on every visit of the page: its fields are copied once
    per language, ``cll/core/forms.py``)."""

    recommendations_enabled = forms.BooleanField(
        label=_("Suggest sessions for me"),
        required=False,
        initial=True,
        help_text=_(
            "We suggest sessions from the languages, level and objectives in your profile, the "
            "place and level of your past sessions. Untick to stop: no suggestions are then "
            "made or shown."
        ),
    )


RATE_LIMITED = "ratelimit"


class RateLimitedFormMixin:
    """A form that spends one unit of an allauth rate limit (``ACCOUNT_RATE_LIMITS[action]``,
    per client IP, user or key) when it validates, and says so with a ``ratelimit`` error that
    the view answers with 429. The one way forms here throttle: per-IP limits key on allauth's
    ``get_client_ip``, and keys are hashed in the cache. Without a request, nothing is counted.
    """

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def rate_limit(self, *, action: str, message, key: str | None = None) -> None:
        """Spend one unit of ``action``; raise ``message`` as a form error when none is left."""

        if self.request is not None and not ratelimit.consume(self.request, action=action, key=key):
            raise forms.ValidationError(message, code=RATE_LIMITED)

    @property
    def rate_limited(self) -> bool:
        return any(error.code == RATE_LIMITED for error in self.non_field_errors().as_data())


class ChildProfileForm(RateLimitedFormMixin, ProfileFieldsForm):
    """A guardian completes a child's profile (from their profile page or a consent link).

    Each valid submission spends one unit of ``ACCOUNT_RATE_LIMITS["child_add"]`` (per
    guardian): creating child accounts in bulk is refused with 429 (the service also caps how
    many children a guardian has, ``settings.MAX_CHILDREN_PER_GUARDIAN``).
    """

    def clean(self):
        cleaned = super().clean()
        # Mistyped fields spend nothing: only a submission that would create an account does.
        if not self.errors:
            self.rate_limit(
                action="child_add",
                message=_(
                    "You have added too many children in a short time. Please try again later."
                ),
            )
        return cleaned

    def refuse_over_limit(self, limit: int) -> None:
        """The service refused: the guardian already has ``limit`` children on file."""
        self.add_error(
            None,
            forms.ValidationError(
                _(
                    "You have reached the maximum number of children on one account "
                    "(%(limit)s). Please contact us if you need more."
                ),
                code="child_limit",
                params={"limit": limit},
            ),
        )


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


class AccountReactivateForm(RateLimitedFormMixin, forms.Form):
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

    def clean(self):

        cleaned = super().clean()
        email, password = cleaned.get("email"), cleaned.get("password")
        if email and password:
            # Counted with failed sign-ins (ACCOUNT_RATE_LIMITS["login_failed"]).
            self.rate_limit(
                action="login_failed",
                key=f"reactivate:{email.lower()}",
                message=get_adapter().error_messages["too_many_login_attempts"],
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


class ParentEmailForm(RateLimitedFormMixin, forms.Form):
    """All a child under the digital consent age is asked: a parent's e-mail address."""

    parent_email = forms.EmailField(
        label=_("Your parent's or guardian's e-mail address"),
        max_length=254,
        help_text=_(
            "We send them a link to give their permission and create your account. "
            "We keep nothing else about you."
        ),
    )

    def clean(self):
        cleaned = super().clean()
        email = cleaned.get("parent_email")
        # Each request e-mails an address the visitor typed: throttled per client IP and per
        # address (ACCOUNT_RATE_LIMITS["parental_consent"]).
        if email:
            self.rate_limit(
                action="parental_consent",
                key=email.strip().lower(),
                message=_(
                    "Too many requests have been sent for this address or from this "
                    "connection. Please try again later."
                ),
            )
        return cleaned


class HandoverForm(RateLimitedFormMixin, forms.Form):
    """The child's own e-mail address and password, when they take over their account.

    A handover gives an account to an address typed here, as a sign-up does: it spends the
    connection's sign-up limit (``ACCOUNT_RATE_LIMITS["signup"]``, shared with allauth's
    sign-up page), and is refused with 429 beyond it.
    """

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
        email = self.cleaned_data["email"].lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                _("This e-mail address cannot be used. Please choose another one."), code="taken"
            )
        return email

    def clean(self):

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
        if not self.errors:
            self.rate_limit(
                action="signup",
                key=cleaned["email"],
                message=_(
                    "Too many accounts have been created from this connection. "
                    "Please try again later."
                ),
            )
        return cleaned


class LearnerSearchForm(forms.Form):
    """The staff learners page's search: one exact e-mail address (Django's CharField refuses
    NUL characters, which PostgreSQL cannot compare)."""

    email = forms.CharField(max_length=254, required=False)
