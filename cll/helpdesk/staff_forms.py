"""Forms of the helpdesk's staff console: validation only (the writes are staff_services)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from cll.core.uploads import MultipleUploadField
from cll.helpdesk.models import CannedReply, Priority, Status, Topic
from cll.helpdesk.staff_selectors import STATUS_LABELS

MESSAGE_MAX_LENGTH = 20000
REFERENCE_MAX_LENGTH = 16
MAX_FILES = 5


class TicketFilterForm(forms.Form):
    """The console's filters (GET); every one is optional. The queue is the tab, not a field."""

    priority = forms.ChoiceField(
        label=_("Priority"), choices=[("", _("Any priority")), *Priority.choices], required=False
    )
    assignee = forms.ChoiceField(label=_("Assigned to"), choices=(), required=False)
    reference = forms.CharField(
        label=_("Reference"),
        max_length=REFERENCE_MAX_LENGTH,
        required=False,
        help_text=_("All or part of the ticket's reference, e.g. CLL-7K3F."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args, colleagues=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.colleagues = {str(member.public_id): member for member in colleagues}
        self.fields["assignee"].choices = [
            ("", _("Anyone")),
            *((key, member.email) for key, member in self.colleagues.items()),
        ]

    def clean_assignee(self):
        return self.colleagues.get(self.cleaned_data["assignee"])


class ReplyForm(forms.Form):
    """A staff answer to the person, what the ticket becomes after it, and the canned reply to
    insert (the "insert" button re-renders the form with its text; no JavaScript needed)."""

    body = forms.CharField(
        label=_("Answer to the person"),
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Sent by e-mail to the person and shown on their support page."),
    )
    # The person reads "waiting for your answer"; staff read what it means for them.
    status = forms.ChoiceField(
        label=_("After sending, the ticket is"),
        choices=[
            (Status.PENDING, _("Waiting for the person")),
            (Status.OPEN, _("Still open")),
            (Status.SOLVED, _("Solved")),
        ],
        initial=Status.PENDING,
    )
    files = MultipleUploadField(label=_("Files"), max_files=MAX_FILES, required=False)
    canned = forms.ChoiceField(label=_("Canned reply"), choices=(), required=False)

    def __init__(self, *args, replies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.replies = {str(reply.public_id): reply for reply in replies}
        self.fields["canned"].choices = [
            ("", _("Choose a canned reply")),
            *((key, reply.title) for key, reply in self.replies.items()),
        ]

    def clean_canned(self):
        return self.replies.get(self.cleaned_data["canned"])


class NoteForm(forms.Form):
    body = forms.CharField(
        label=_("Internal note"),
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For colleagues only: never shown nor e-mailed to the person."),
    )
    files = MultipleUploadField(label=_("Files"), max_files=MAX_FILES, required=False)


class AssignForm(forms.Form):
    assignee = forms.ChoiceField(label=_("Assigned to"), choices=(), required=False)

    def __init__(self, *args, colleagues=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.colleagues = {str(member.public_id): member for member in colleagues}
        self.fields["assignee"].choices = [
            ("", _("Nobody (back to the queue)")),
            *((key, member.email) for key, member in self.colleagues.items()),
        ]

    def clean_assignee(self):
        return self.colleagues.get(self.cleaned_data["assignee"])


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=list(STATUS_LABELS.items()))


class PriorityForm(forms.Form):
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)


class CannedReplyForm(forms.ModelForm):
    class Meta:
        model = CannedReply
        fields = ["title", "language", "topic", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 10})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topic"].choices = [("", _("Any topic")), *Topic.choices]
        self.fields["topic"].required = False
        self.fields["language"].choices = list(settings.LANGUAGES)


class StaffTicketOpenForm(forms.Form):
    """A ticket opened by staff for someone who called or came to the desk."""

    name = forms.CharField(label=_("Name"), max_length=200)
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        help_text=_("The person receives the acknowledgement and the answers there."),
    )
    language = forms.ChoiceField(label=_("Language of the person"), choices=settings.LANGUAGES)
    topic = forms.ChoiceField(label=_("Topic"), choices=Topic.choices)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(
        label=_("The request"),
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("In the person's words as far as possible: they will see it."),
    )
