"""Forms of the person's side of the helpdesk (validation only): the contact form and the reply
on the portal.

The contact form is open to anyone, so it keeps robots out with the platform's honeypot and
minimum fill time (``cll.core.antispam``); the flood limits are the service's. Files go
through ``MultipleUploadField``, which checks the size and the type detected from the content
(the malware scan happens when the service stores them).
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cll.core.antispam import ContactFields, HumanCheckForm
from cll.core.uploads import MultipleUploadField
from cll.core.widgets import Select
from cll.courses.models import Session
from cll.helpdesk.models import Topic
from cll.lib.formfields import hidden_field_error_on_top

# Not a ticket topic: the contact form sends privacy questions to the privacy request form,
# which runs the legal deadline and checks who is asking.
PRIVACY_TOPIC = "privacy"
MAX_FILES = 3


def _attachments_field() -> MultipleUploadField:
    return MultipleUploadField(
        max_files=MAX_FILES,
        required=False,
        label=_("Files (optional)"),
        help_text=_(
            "Up to 3 files: a screenshot, a PDF or a document. Every file is checked for "
            "malware before we open it."
        ),
    )


class ContactForm(ContactFields, HumanCheckForm):
    topic = forms.ChoiceField(
        label=_("What is your question about?"),
        choices=[("", "---------"), *Topic.choices, (PRIVACY_TOPIC, _("Privacy and my data"))],
        help_text=_(
            "For your personal data (a copy, a correction, an erasure), choose “Privacy and my "
            "data”: we will take you to the privacy request form."
        ),
        widget=Select,
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(
        label=_("Your message"),
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    # The session the question started from (its public slug), if any.
    session = forms.ModelChoiceField(
        queryset=Session.objects.published(),
        to_field_name="slug",
        required=False,
        widget=forms.HiddenInput,
        error_messages={
            "invalid_choice": _(
                "The session you asked about is no longer offered. Your message is kept: send "
                "it again without it."
            )
        },
    )

    attachments = _attachments_field()

    field_order = ["topic", "name", "email", "subject", "body", "attachments"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None and user.is_authenticated:
            # A signed-in person is answered at their account's address: shown, not editable
            # (a disabled field keeps its initial value whatever is posted).
            self.fields["email"].disabled = True
            self.fields["email"].initial = user.email
            self.fields["email"].help_text = _(
                "The address of your account: we answer you there and in “My support requests”."
            )

    @property
    def wants_privacy_form(self) -> bool:
        """The person chose the privacy topic (checked before the rest of the form)."""
        return self.is_bound and self.data.get(self.add_prefix("topic")) == PRIVACY_TOPIC

    def clean(self):
        cleaned = super().clean()
        hidden_field_error_on_top(self, "session")
        return cleaned


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your answer"),
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    attachments = _attachments_field()
