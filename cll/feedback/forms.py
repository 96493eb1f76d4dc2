"""Forms of feedback (validation only): a rating of a session, feedback on a service.

The stars are radio buttons (Django renders them in a fieldset with the label as its legend),
each with a text that says what it means; anything but 1 to 5 is refused with one translated
message. Comments are plain text (rendered escaped everywhere), at most
``COMMENT_MAX_CHARS`` characters.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cll.feedback.models import COMMENT_MAX_CHARS, Topic


def star_labels() -> list[tuple[int, str]]:
    return [
        (5, pgettext_lazy("rating", "5 stars: excellent")),
        (4, pgettext_lazy("rating", "4 stars: good")),
        (3, pgettext_lazy("rating", "3 stars: fair")),
        (2, pgettext_lazy("rating", "2 stars: poor")),
        (1, pgettext_lazy("rating", "1 star: very poor")),
    ]


def _rating_field(label) -> forms.TypedChoiceField:
    message = _("Choose a rating from 1 to 5 stars.")
    return forms.TypedChoiceField(
        label=label,
        choices=star_labels,
        coerce=int,
        widget=forms.RadioSelect(attrs={"class": "feedback-stars"}),
        error_messages={"required": message, "invalid_choice": message},
    )


def _comment_field(help_text) -> forms.CharField:
    return forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=COMMENT_MAX_CHARS,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": COMMENT_MAX_CHARS}),
    )


class SessionRatingForm(forms.Form):
    rating = _rating_field(_("How would you rate this session?"))
    comment = _comment_field(
        _("What went well, what could be better? Please do not write about other people.")
    )
    may_quote = forms.BooleanField(
        label=_("You may quote my comment anonymously (without my name) on your website."),
        required=False,
    )


class ServiceFeedbackForm(forms.Form):
    topic = forms.ChoiceField(
        label=_("What is your feedback about?"),
        choices=Topic.choices,
        error_messages={
            "required": _("Choose what your feedback is about."),
            "invalid_choice": _("Choose what your feedback is about."),
        },
    )
    rating = _rating_field(_("Your rating"))
    comment = _comment_field(
        _("Tell us what we could do better. Please do not write about other people.")
    )
