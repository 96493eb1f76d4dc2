"""Forms of the rights app (validation only)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cll.core.forms import SharedFieldsForm
from cll.rights.models import Objection


class RestrictionForm(SharedFieldsForm, forms.Form):
    # Made for every view of the privacy page: its field is copied once (cll/core/forms.py).
    reason = forms.CharField(
        label=_("Why do you want to restrict the processing of your data? (optional)"),
        help_text=_(
            "For example: you contest the accuracy of your data, or you objected and wait for "
            "our answer. It helps us answer you; you do not have to give a reason."
        ),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ObjectionForm(forms.Form):
    purpose = forms.ChoiceField(choices=Objection.Purpose.choices)
