"""Forms of the dsar app (validation only)."""

from __future__ import annotations

import datetime

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from cll.dsar.models import DataSubjectRequest
from cll.lib.formfields import BoundedDateField, today
from cll.rights.models import Objection

# The GDPR applies from this day: no request under it was received before.
GDPR_APPLIES_FROM = datetime.date(2018, 5, 25)


class RequestForm(forms.Form):
    type = forms.ChoiceField(
        label=_("What would you like us to do?"),
        choices=DataSubjectRequest.Type.choices,
        widget=forms.RadioSelect,
    )
    email = forms.EmailField(
        label=_("Your e-mail address"),
        max_length=254,
        help_text=_(
            "The address your request is about. We send a link to it to make sure the request "
            "comes from you."
        ),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    details = forms.CharField(
        label=_("Details (optional)"),
        required=False,
        max_length=4000,
        help_text=_("For a correction, say what is wrong; for an objection, what you object to."),
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class StaffRequestForm(RequestForm):
    """A request that arrived by e-mail or post, entered with the day it was received."""

    channel = forms.ChoiceField(
        label=_("Received by"),
        choices=[
            (DataSubjectRequest.Channel.EMAIL, DataSubjectRequest.Channel.EMAIL.label),
            (DataSubjectRequest.Channel.POST, DataSubjectRequest.Channel.POST.label),
        ],
    )
    received_on = BoundedDateField(
        label=_("Received on"),
        help_text=_("The day the request reached us: the deadline runs from it."),
        earliest=GDPR_APPLIES_FROM,
        latest=today,
    )
    language = forms.ChoiceField(label=_("Language of the person"), choices=settings.LANGUAGES)
    identity_verified = forms.BooleanField(
        label=_("Identity already checked"),
        required=False,
        help_text=_(
            "Leave unticked to send the person a verification link (the deadline is paused "
            "until they follow it)."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].label = _("E-mail address of the person")
        self.fields["email"].help_text = ""
        self.fields["type"].label = _("Type of request")


class ExtendForm(forms.Form):
    months = forms.TypedChoiceField(
        label=_("Extend by"),
        coerce=int,
        choices=[(1, _("1 month")), (2, _("2 months"))],
    )
    reason = forms.CharField(
        label=_("Reasons (sent to the person)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (sent to the person)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class CompleteForm(forms.Form):
    note = forms.CharField(
        label=_("Note to the person (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class FulfilForm(CompleteForm):
    purpose = forms.ChoiceField(label=_("Purpose objected to"), required=False, choices=())

    def __init__(self, *args, objection: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not objection:
            # Only an objection names a purpose.
            del self.fields["purpose"]
            return

        self.fields["purpose"].required = True
        self.fields["purpose"].choices = [("", "---------"), *Objection.Purpose.choices]
