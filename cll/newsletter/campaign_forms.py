"""Forms of the campaign staff pages: validation only (the rules are in campaigns.py)."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cll.accounts.models import CefrLevel
from cll.courses.models import Site
from cll.lib.formfields import BoundedDateTimeField, now
from cll.newsletter.campaigns import LANGUAGES, SCHEDULE_MAX_DAYS, VersionText, campaign_versions
from cll.newsletter.models import Campaign, MailingList

_LANGUAGE_NAMES = {"fr": _("French"), "en": _("English"), "nl": _("Dutch")}


class _ListChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: MailingList) -> str:
        return obj.name


def _latest_schedule() -> datetime.datetime:
    return timezone.now() + datetime.timedelta(days=SCHEDULE_MAX_DAYS)


class CampaignForm(forms.Form):
    """A campaign's title, lists, segments and its versions (subject and text per language)."""

    title = forms.CharField(
        label=_("Internal title"),
        max_length=200,
        help_text=_("Seen by staff only, never by subscribers."),
    )
    lists = _ListChoice(
        label=_("Lists"),
        queryset=MailingList.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one list.")},
    )
    segment_language = forms.ChoiceField(
        label=_("Language of the subscriber"),
        required=False,
        choices=[("", _("Any language"))] + [(code, _LANGUAGE_NAMES[code]) for code in LANGUAGES],
    )
    segment_level = forms.ChoiceField(
        label=_("Level of the learner (CEFR)"),
        required=False,
        help_text=_("The level of the learner profile: addresses without an account are left out."),
        choices=[("", _("Any level"))]
        + [(value, label) for value, label in CefrLevel.choices if len(value) == 2],
    )
    segment_site = forms.ChoiceField(
        label=_("Site where the learner is enrolled"),
        required=False,
        help_text=_("An active enrolment in a session at this site."),
    )

    def __init__(self, *args, campaign: Campaign | None = None, **kwargs):
        if campaign is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_of(campaign)
        super().__init__(*args, **kwargs)
        self.fields["segment_site"].choices = [("", _("Any site"))] + [
            (site.slug, site.name) for site in Site.objects.order_by("position", "slug")
        ]
        for code in LANGUAGES:
            name = _LANGUAGE_NAMES[code]
            self.fields[f"subject_{code}"] = forms.CharField(
                label=_("Subject"),
                max_length=200,
                required=False,
                help_text=name,
            )
            self.fields[f"body_{code}"] = forms.CharField(
                label=_("Text (Markdown)"),
                required=False,
                widget=forms.Textarea(attrs={"rows": 12}),
                help_text=name,
            )

    @staticmethod
    def initial_of(campaign: Campaign) -> dict:
        initial = {
            "title": campaign.title,
            "lists": list(campaign.lists.all()),
            "segment_language": campaign.segment_language,
            "segment_level": campaign.segment_level,
            "segment_site": campaign.segment_site,
        }
        for code, version in campaign_versions(campaign=campaign).items():
            initial[f"subject_{code}"] = version.subject
            initial[f"body_{code}"] = version.body
        return initial

    def language_fields(self) -> list[tuple[str, str, forms.BoundField, forms.BoundField]]:
        """(code, name, subject field, body field) per language, for the template."""
        return [
            (code, _LANGUAGE_NAMES[code], self[f"subject_{code}"], self[f"body_{code}"])
            for code in LANGUAGES
        ]

    def clean(self):
        data = super().clean()
        written = 0
        for code in LANGUAGES:
            subject = (data.get(f"subject_{code}") or "").strip()
            body = (data.get(f"body_{code}") or "").strip()
            if subject and not body:
                self.add_error(f"body_{code}", _("Write the text of this version too."))
            elif body and not subject:
                self.add_error(f"subject_{code}", _("Write the subject of this version too."))
            elif subject and body:
                written += 1
        if written == 0 and not self.errors:
            raise forms.ValidationError(_("Write the campaign in at least one language."))
        return data

    def versions(self) -> dict[str, VersionText]:
        data = self.cleaned_data
        return {
            code: VersionText(subject=data[f"subject_{code}"], body=data[f"body_{code}"])
            for code in LANGUAGES
            if data.get(f"subject_{code}", "").strip()
        }


class ScheduleForm(forms.Form):
    send_at = BoundedDateTimeField(
        label=_("Send on"),
        earliest=now,
        latest=_latest_schedule,
        error_messages={"too_early": _("Choose a date and time in the future.")},
    )


class TestSendForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Version"), choices=[(code, _LANGUAGE_NAMES[code]) for code in LANGUAGES]
    )
