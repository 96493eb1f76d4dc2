"""Forms of the erasure app (validation only)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cll.accounts.forms import AccountDeleteForm


class ErasureConfirmForm(AccountDeleteForm):
    """The password, and, for a guardian whose children would be erased with them, an explicit
    confirmation that they read the list of those children."""

    confirm_wards = forms.BooleanField(
        label=_("I understand that the accounts of the children listed above are deleted too."),
        required=False,
    )

    def __init__(self, *args, user, wards_erased: int = 0, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.wards_erased = wards_erased
        if not wards_erased:
            del self.fields["confirm_wards"]

    def clean_confirm_wards(self):
        confirmed = self.cleaned_data.get("confirm_wards")
        if self.wards_erased and not confirmed:
            raise forms.ValidationError(
                _("Please confirm that your children's accounts are deleted too."),
                code="confirm_wards",
            )
        return confirmed
