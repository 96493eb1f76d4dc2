"""Forms of the analytics app (validation only)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MAX_RANGE_DAYS = 366
DEFAULT_RANGE_DAYS = 30


class DateRangeForm(forms.Form):
    """The dashboard's date range (GET). Both ends are included."""

    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    @classmethod
    def default_initial(cls) -> dict[str, dt.date]:
        today = timezone.localdate()
        return {"start": today - dt.timedelta(days=DEFAULT_RANGE_DAYS - 1), "end": today}

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if start > end:
                self.add_error("end", _("The end date must be on or after the start date."))
            elif (end - start).days + 1 > MAX_RANGE_DAYS:
                self.add_error(
                    "end", _("Choose a range of at most %(days)s days.") % {"days": MAX_RANGE_DAYS}
                )
        return cleaned
