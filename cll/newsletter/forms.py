"""Forms of the newsletter app: validation only (bounded dates: cll.lib.formfields)."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from cll.newsletter.selectors import mailing_list_list_for_public

# CR/LF or other control characters would let an address inject e-mail headers.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class ListsField(forms.ModelMultipleChoiceField):
    """The public lists as check boxes, each labelled with its name (its description is
    shown next to it by the template)."""

    def label_from_instance(self, obj) -> str:
        return str(obj.name)


class SubscribeForm(forms.Form):
    """The public subscription form (its page, and the footer's short version, which sends
    the news list as a hidden value)."""

    email = forms.EmailField(
        label=_("Your e-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_(
            "We send you an e-mail with a link: your subscription starts when you follow it."
        ),
    )
    lists = ListsField(
        label=_("Newsletters"),
        queryset=mailing_list_list_for_public(),
        to_field_name="slug",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Please choose at least one newsletter.")},
    )

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if _CONTROL.search(email):
            raise forms.ValidationError(_("Enter a valid e-mail address."), code="invalid")
        return email.strip()


class ListActionForm(forms.Form):
    """Join or leave one list from "My subscriptions"."""

    action = forms.ChoiceField(choices=[("join", "join"), ("leave", "leave")])
    list = forms.SlugField(max_length=40)


def news_signup_field() -> forms.Field:
    """The sign-up form's "Send me CLL's news" box (cll/accounts/hooks.py): unticked by
    default, as silence is not consent."""
    return forms.BooleanField(
        label=_("Send me CLL's news"),
        required=False,
        initial=False,
        help_text=_(
            "We send you an e-mail to confirm it first; every newsletter has a link to unsubscribe."
        ),
    )
