"""Forms of the consent app (validation only)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cll.consent import registry
from cll.consent.models import TagConfiguration

ACTIONS = ("accept_all", "reject_all", "custom", "withdraw")


class ConsentForm(forms.Form):
    """A choice from the banner or the settings page. Unknown actions or categories are
    refused as a whole (nothing half-saved)."""

    action = forms.ChoiceField(choices=[(a, a) for a in ACTIONS])
    categories = forms.MultipleChoiceField(
        choices=[(c, registry.CATEGORY_LABELS[c]) for c in registry.OPTIONAL_CATEGORIES],
        required=False,
    )
    source = forms.ChoiceField(choices=[("banner", "banner"), ("settings", "settings")])
    next = forms.CharField(required=False, max_length=2000)
    # Set by the confirmation page shown when a choice conflicts with a DNT/GPC signal.
    confirm = forms.BooleanField(required=False)

    def chosen_categories(self) -> list[str]:
        action = self.cleaned_data["action"]
        if action == "accept_all":
            return list(registry.OPTIONAL_CATEGORIES)
        if action == "custom":
            return [c for c in registry.OPTIONAL_CATEGORIES if c in self.cleaned_data["categories"]]
        return []


class TagIdField(forms.CharField):
    """A tag id, trimmed and upper-cased before the model's format validator runs."""

    def to_python(self, value):
        return super().to_python(value).upper()


class TagConfigurationForm(forms.ModelForm):
    class Meta:
        model = TagConfiguration
        fields = ["ga4_measurement_id", "ads_conversion_id", "floodlight_id", "google_signals"]
        field_classes = {
            "ga4_measurement_id": TagIdField,
            "ads_conversion_id": TagIdField,
            "floodlight_id": TagIdField,
        }
        help_texts = {
            "ga4_measurement_id": _("Leave empty to load no Google Analytics tag."),
            "ads_conversion_id": _("Leave empty to load no Google Ads tag."),
            "floodlight_id": _("Leave empty to load no DoubleClick tag."),
        }
