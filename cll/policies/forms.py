"""Forms of the policies app: validation only (writes are in services.py)."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from cll.policies.models import PolicyKind, PolicyVersion
from cll.privacy import datamap

# A version label appears in URLs (/policies/privacy/2026-11/): letters, digits, dots, dashes.
_LABEL = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.\-]{0,31}$")
_MAX_TEXT = 200_000
LANGUAGE_NAMES = {"fr": _("French"), "en": _("English"), "nl": _("Dutch")}


def _purpose_choices() -> list[tuple[str, str]]:
    return [(key, f"{key}: {purpose.description}") for key, purpose in datamap.PURPOSES.items()]


class PolicyVersionForm(forms.Form):
    """A draft's fields. With ``publishing=True``, what a published version needs too: the text
    in every language and, for a material change, the summary of the changes in every language.
    """

    kind = forms.ChoiceField(label=_("Policy"), choices=PolicyKind.choices)
    version = forms.CharField(
        label=_("Version"),
        max_length=32,
        help_text=_("For example 2027-01. Letters, digits, dots and dashes; shown in the URL."),
    )
    body_fr = forms.CharField(
        label=_("Text in French"), widget=forms.Textarea, required=False, max_length=_MAX_TEXT
    )
    body_en = forms.CharField(
        label=_("Text in English"), widget=forms.Textarea, required=False, max_length=_MAX_TEXT
    )
    body_nl = forms.CharField(
        label=_("Text in Dutch"), widget=forms.Textarea, required=False, max_length=_MAX_TEXT
    )
    changes_fr = forms.CharField(
        label=_("Summary of the changes in French"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=5000,
    )
    changes_en = forms.CharField(
        label=_("Summary of the changes in English"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=5000,
    )
    changes_nl = forms.CharField(
        label=_("Summary of the changes in Dutch"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=5000,
    )
    material = forms.BooleanField(
        label=_("Material change"),
        required=False,
        help_text=_(
            "Announced by e-mail and on the site; people have 30 days to object or close "
            "their account."
        ),
    )
    affects_existing_processing = forms.BooleanField(
        label=_("Changes processing based on the contract or a legitimate interest"),
        required=False,
        help_text=_("Without objection within 30 days, acceptance of these changes is deemed."),
    )
    new_consent_purposes = forms.MultipleChoiceField(
        label=_("New purposes based on consent"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Off for everyone until each person opts in: silence is not consent."),
    )

    def __init__(self, *args, publishing: bool = False, draft: PolicyVersion | None = None, **kw):
        super().__init__(*args, **kw)
        self.publishing = publishing
        self.draft = draft
        self.fields["new_consent_purposes"].choices = _purpose_choices()
        if draft is not None:
            # The kind of a draft is fixed once created (its URL and history depend on it).
            self.fields["kind"].disabled = True

    def clean_version(self) -> str:
        label = self.cleaned_data["version"].strip()
        if not _LABEL.match(label):
            raise forms.ValidationError(
                _("Use letters, digits, dots and dashes only, starting with a letter or digit."),
                code="invalid",
            )
        return label

    def clean(self):
        data = super().clean()
        kind, label = data.get("kind"), data.get("version")
        if kind and label:
            taken = PolicyVersion.objects.filter(kind=kind, version=label)
            if self.draft is not None:
                taken = taken.exclude(pk=self.draft.pk)
            if taken.exists():
                self.add_error(
                    "version",
                    forms.ValidationError(
                        _("This policy already has a version with this label."), code="unique"
                    ),
                )
        if self.publishing:
            for language, name in LANGUAGE_NAMES.items():
                if not data.get(f"body_{language}", "").strip():
                    self.add_error(
                        f"body_{language}",
                        forms.ValidationError(
                            _("A published version needs its text in %(language)s.")
                            % {"language": name},
                            code="required",
                        ),
                    )
                if data.get("material") and not data.get(f"changes_{language}", "").strip():
                    self.add_error(
                        f"changes_{language}",
                        forms.ValidationError(
                            _("A material change needs a summary of the changes in %(language)s.")
                            % {"language": name},
                            code="required",
                        ),
                    )
        if data.get("affects_existing_processing") and not data.get("material"):
            self.add_error(
                "material",
                forms.ValidationError(
                    _(
                        "A change to processing based on the contract or a legitimate interest is "
                        "material: tick “Material change”."
                    ),
                    code="required",
                ),
            )
        if data.get("new_consent_purposes") and not data.get("material"):
            self.add_error(
                "material",
                forms.ValidationError(
                    _(
                        "A new purpose based on consent is a material change: tick “Material "
                        "change”."
                    ),
                    code="required",
                ),
            )
        return data


class PolicyAcceptForm(forms.Form):
    """The purposes a person ticks when accepting a change (none ticked by default)."""

    purposes = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, version: PolicyVersion, **kw):
        super().__init__(*args, **kw)
        self.fields["purposes"].choices = [
            (key, str(datamap.PURPOSES[key].description))
            for key in version.new_consent_purposes
            if key in datamap.PURPOSES
        ]


class PurposeChoiceForm(forms.Form):
    purpose = forms.ChoiceField()
    opted_in = forms.TypedChoiceField(choices=[("1", "1"), ("0", "0")], coerce=lambda v: v == "1")

    def __init__(self, *args, keys: list[str], **kw):
        super().__init__(*args, **kw)
        self.fields["purpose"].choices = [(key, key) for key in keys]
