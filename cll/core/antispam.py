"""Keeping robots out of the public forms without a third-party CAPTCHA (which would hand the
visitor's IP address to another company). Shared by every form open to anyone (the shop's
billing cases, the helpdesk's contact form).

- A honeypot: a field people never see (the template renders it inside a ``hidden`` element,
  which hides it from screens and screen readers alike) and form-filling robots fill in.
- A minimum fill time: the page carries the time it was shown, signed (``SECRET_KEY``), and a
  form sent back sooner than ``MIN_FILL_SECONDS`` — or with a time that was tampered with or is
  older than ``MAX_FORM_AGE`` — is refused with a message, then shown again with a fresh time,
  so a person who was merely quick sends it on the second try.
- The fields every such form asks to answer the person (``ContactFields``: name, address).
- Flood limits (``submission_rate_allows``): submissions counted per client IP and per address
  in the cache. The address is counted by its blind index, never in clear: the cache is not a
  place for personal data.
"""

from __future__ import annotations

import time

from django import forms
from django.core import signing
from django.utils.translation import gettext_lazy as _

from cll.core.encryption import blind_index
from cll.core.ratelimit import window_hit

MIN_FILL_SECONDS = 3
MAX_FORM_AGE = 24 * 3600

_STAMP_SALT = "cll.core.antispam.started"


def started_stamp(*, at: float | None = None) -> str:
    """The signed time a form was shown (seconds since the epoch; now by default)."""
    return signing.Signer(salt=_STAMP_SALT).sign(str(int(at if at is not None else time.time())))


class ContactFields(forms.Form):
    """The name and the address a public form asks, to answer the person (mixed in before
    the form's own fields; set ``field_order`` to place them elsewhere)."""

    name = forms.CharField(
        label=_("Your name"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("Your e-mail address"),
        max_length=254,
        help_text=_("We answer you at this address."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class HumanCheckForm(forms.Form):
    """The honeypot and the minimum fill time (see the module's docstring). Subclass it and
    render ``form.website`` inside a ``hidden`` element (``visible_fields`` leaves it out)."""

    # Robots fill in a field called "website"; people never see it (no tab stop either).
    website = forms.CharField(
        required=False,
        label=_("Leave this field empty"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    # Checked in clean(): a missing or altered value gets the form's message, not a field's.
    started = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["started"].initial = started_stamp()

    def visible_fields(self):
        # The honeypot is rendered apart, inside its hidden wrapper.
        return [field for field in super().visible_fields() if field.name != "website"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("website"):
            raise forms.ValidationError(
                _("Your message could not be sent. Please try again."), code="honeypot"
            )
        try:
            shown = int(signing.Signer(salt=_STAMP_SALT).unsign(cleaned.get("started") or ""))
        except (signing.BadSignature, ValueError):
            raise forms.ValidationError(
                _("Your message could not be sent. Please try again."), code="stamp"
            ) from None
        age = time.time() - shown
        if age > MAX_FORM_AGE or age < 0:
            raise forms.ValidationError(
                _(
                    "This page was open for a long time. Please check your message and send it "
                    "again."
                ),
                code="stale",
            )
        if age < MIN_FILL_SECONDS:
            raise forms.ValidationError(
                _("That was very quick. Please check your message, then send it again."),
                code="too_fast",
            )
        return cleaned

    def full_clean(self):
        super().full_clean()
        if self.is_bound and self._errors:
            # Shown again for another try: with a fresh time, and without the honeypot's text.
            data = self.data.copy()
            data[self.add_prefix("started")] = started_stamp()
            data[self.add_prefix("website")] = ""
            self.data = data


def submission_rate_allows(
    *,
    scope: str,
    ip: str,
    email: str,
    email_purpose: str,
    per_ip_hour: int,
    per_address_day: int,
) -> bool:
    """Count one submission of the form ``scope`` from ``ip`` for ``email``; False when either
    is over its limit (``per_ip_hour`` per client IP, ``per_address_day`` per address). The
    address is keyed by its blind index under ``email_purpose``, never in clear."""
    if not window_hit(f"{scope}:ip:{ip}", limit=per_ip_hour, seconds=3600):
        return False
    index = blind_index(email.strip().lower(), purpose=email_purpose)
    return window_hit(f"{scope}:addr:{index}", limit=per_address_day, seconds=86400)
