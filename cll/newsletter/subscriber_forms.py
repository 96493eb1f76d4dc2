"""Staff forms on subscribers: validation only (the rules are in ``subscribers``)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from cll.core.uploads import UploadField
from cll.lib.formfields import BoundedDateField, today
from cll.newsletter.models import MailingList
from cll.newsletter.subscribers import IMPORT_MAX_BYTES

# No written agreement of the school's is older (the earliest bound of the agreement date).
EARLIEST_AGREEMENT = dt.date(2000, 1, 1)


class ListChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: MailingList) -> str:
        return obj.name


class WrittenAgreementForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    lists = ListChoiceField(
        label=_("Lists"),
        queryset=MailingList.objects.all(),
        widget=forms.CheckboxSelectMultiple,
    )
    language = forms.ChoiceField(label=_("Language of the newsletters"), choices=settings.LANGUAGES)
    agreement_date = BoundedDateField(
        label=_("Date of the written agreement"),
        earliest=EARLIEST_AGREEMENT,
        latest=today,
    )
    agreement_reference = forms.CharField(
        label=_("Reference of the written agreement"),
        max_length=120,
        help_text=_("Where the signed document can be found, e.g. “paper form 114”."),
    )
    agreement_document = UploadField(
        label=_("Scanned agreement (optional)"),
        required=False,
        help_text=_(
            "The signed document as a PDF or an image. It is checked for malware and kept, "
            "encrypted, with the subscription."
        ),
    )

    def clean_agreement_reference(self) -> str:
        reference = self.cleaned_data["agreement_reference"].strip()
        if "\r" in reference or "\n" in reference:
            raise forms.ValidationError(_("The reference must fit on one line."))
        return reference


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "UTF-8, columns: email, language, lists (slugs separated by |), consent_evidence "
            "(how and when the person agreed)."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)s MB."),
                params={"size": IMPORT_MAX_BYTES // 2**20},
            )
        return upload


class SubscriberSearchForm(forms.Form):
    email = forms.EmailField(label=_("Exact e-mail address"), required=False, max_length=254)
