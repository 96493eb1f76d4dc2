"""Forms of the placement app: validation only (scoring is in services.py)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cll.placement.selectors import PublicStage


class StageForm(forms.Form):
    """The answers to one stage: one choice per question, and the stage they answer (so an old
    page sent again is recognised rather than scored as the current stage)."""

    stage = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args, stage: PublicStage, **kwargs):
        super().__init__(*args, **kwargs)
        self.public_stage = stage
        for question in stage.questions:
            self.fields[question.name] = forms.TypedChoiceField(
                label=question.prompt,
                choices=question.choices,
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={
                    "required": _("Please choose an answer."),
                    "invalid_choice": _("Please choose one of the answers shown."),
                },
            )

    def answers(self) -> list[int]:
        return [self.cleaned_data[question.name] for question in self.public_stage.questions]


class LevelSaveForm(forms.Form):
    """The learner's agreement to write the estimated level to their profile."""

    agree = forms.BooleanField(
        error_messages={"required": _("Tick the box to save this level to your profile.")},
    )
