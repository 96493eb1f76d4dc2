"""Forms of the analytics app (validation only)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cll.lib.formfields import BoundedDateField, today

EARLIEST = dt.date(2020, 1, 1)
MAX_RANGE_DAYS = 366
DEFAULT_RANGE_DAYS = 30


class DateRangeForm(forms.Form):
    """The dashboard's date range (GET). Both ends are included."""

    # Bounded: the year 9999 overflowed the day arithmetic (a 500); nothing is older than this.
    start = BoundedDateField(label=_("From"), earliest=EARLIEST, latest=today)
    end = BoundedDateField(label=_("To"), earliest=EARLIEST, latest=today)

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
