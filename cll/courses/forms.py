"""Validation of the catalogue filters (a GET form: nothing is written)."""

from __future__ import annotations

from collections.abc import Iterable

from django import forms
from django.utils.translation import gettext_lazy as _

from cll.courses.models import Format, Language, Level, Site


class SessionFilterForm(forms.Form):
    """The catalogue's filters. An unknown value is dropped, never an error page."""

    language = forms.ChoiceField(label=_("Language"), required=False)
    level = forms.ChoiceField(label=_("Level"), required=False)
    format = forms.ChoiceField(label=_("Format"), required=False)
    site = forms.ChoiceField(label=_("Where"), required=False)

    def __init__(
        self, data=None, *, languages: Iterable[Language], sites: Iterable[Site], **kwargs
    ):
        super().__init__(data, **kwargs)
        self.fields["language"].choices = [("", _("All languages"))] + [
            (language.code, language.name) for language in languages
        ]
        self.fields["level"].choices = [("", _("All levels")), *Level.choices]
        self.fields["format"].choices = [("", _("All formats")), *Format.choices]
        self.fields["site"].choices = [("", _("All places"))] + [
            (site.slug, site.name) for site in sites
        ]

    def filters(self) -> dict[str, str]:
        """The valid, non-empty filters, ready for ``selectors.session_list_for``."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}
