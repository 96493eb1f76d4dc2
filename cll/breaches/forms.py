"""Forms of the breach register's staff pages (validation only; the services write)."""

from __future__ import annotations

import datetime
import re
import uuid
from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from cll.breaches.models import Breach, BreachNotice
from cll.breaches.services import BREACH_FIELDS
from cll.lib.formfields import BoundedDateTimeField, now
from cll.privacy.datamap import Category


def _register_start() -> datetime.datetime:
    # The register keeps a breach for this long after its detection (privacy.py): an older one
    # would be pruned the same night.
    return timezone.now() - timedelta(days=settings.BREACH_REGISTER_DAYS)


def _breach_moment(name: str, **kwargs) -> BoundedDateTimeField:
    """A date-time of the register: within its retention period, never in the future."""
    model_field = Breach._meta.get_field(name)
    return BoundedDateTimeField(
        label=capfirst(model_field.verbose_name),
        required=not model_field.blank,
        earliest=_register_start,
        latest=now,
        **kwargs,
    )


class BreachForm(forms.ModelForm):
    detected_at = _breach_moment(
        "detected_at",
        error_messages={"future": _("A breach cannot be detected in the future.")},
    )
    authority_notified_at = _breach_moment(
        "authority_notified_at",
        help_text=_("Within 72 hours of detection where feasible (GDPR Art. 33(1))."),
    )
    data_categories = forms.MultipleChoiceField(
        label=_("Categories of personal data"),
        choices=[(value, label) for value, label in Category.choices if value != Category.NONE],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Breach
        fields = BREACH_FIELDS
        widgets = {
            "nature": forms.Textarea(attrs={"rows": 4}),
            "consequences": forms.Textarea(attrs={"rows": 3}),
            "measures": forms.Textarea(attrs={"rows": 3}),
            "late_reason": forms.Textarea(attrs={"rows": 3}),
            "decision_reasons": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "nature": _(
                "What happened: loss of confidentiality, integrity or availability, how and "
                "since when. Name no one here unless needed."
            ),
            "late_reason": _("Required when the authority was notified after 72 hours."),
        }

    def clean(self):
        cleaned = super().clean()
        detected_at = cleaned.get("detected_at")
        notified_at = cleaned.get("authority_notified_at")
        if detected_at is None or notified_at is None:
            return cleaned
        if notified_at < detected_at:
            self.add_error(
                "authority_notified_at",
                _("The authority cannot have been notified before the breach was detected."),
            )
        elif notified_at - detected_at > timedelta(hours=Breach.AUTHORITY_DEADLINE_HOURS) and (
            not (cleaned.get("late_reason") or "").strip()
        ):
            self.add_error(
                "late_reason",
                _(
                    "The authority was notified more than 72 hours after the breach was "
                    "detected: give the reasons for the delay (GDPR Art. 33(1))."
                ),
            )
        return cleaned


_UUID = re.compile(
    r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
)


class BreachNoticeForm(forms.Form):
    audience = forms.ChoiceField(
        label=_("Who is told"),
        choices=BreachNotice.Audience.choices,
        widget=forms.RadioSelect,
        initial=BreachNotice.Audience.LISTED,
    )
    public_ids = forms.CharField(
        label=_("Reference numbers of the accounts concerned"),
        help_text=_("One reference (public id) per line; only used for the accounts listed."),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=200_000,
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(
        label=_("Message"),
        help_text=_(
            "Describe in clear language the nature of the breach, the likely consequences, the "
            "measures taken and what the person can do (GDPR Art. 34(2))."
        ),
        widget=forms.Textarea(attrs={"rows": 10}),
        max_length=10_000,
    )

    def clean_subject(self):
        subject = " ".join(self.cleaned_data["subject"].split())
        return subject

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("audience") != BreachNotice.Audience.LISTED:
            cleaned["ids"] = []
            return cleaned
        text = cleaned.get("public_ids") or ""
        tokens = text.split()
        bad = [token for token in tokens if not _UUID.fullmatch(token)]
        if bad:
            self.add_error(
                "public_ids",
                _("These lines are not account references: %(lines)s")
                % {"lines": ", ".join(bad[:5])},
            )
        elif not tokens:
            self.add_error("public_ids", _("List at least one account, or choose all learners."))
        ids = sorted({uuid.UUID(token) for token in tokens}) if not bad else []
        if ids:
            known = set(
                get_user_model()
                .objects.filter(public_id__in=ids)
                .values_list("public_id", flat=True)
            )
            unknown = [str(public_id) for public_id in ids if public_id not in known]
            if unknown:
                self.add_error(
                    "public_ids",
                    _("No account has these references: %(ids)s") % {"ids": ", ".join(unknown[:5])},
                )
        cleaned["ids"] = ids
        return cleaned
