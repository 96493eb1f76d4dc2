"""Form fields shared by the apps: dates and date-times between two bounds.

Why every date a form accepts is bounded: the value goes on to date arithmetic (a deadline a
month later, the conversion to UTC that the database needs), and the years 1 or 9999 overflow
it: a 500 instead of a message. So each date field names the earliest and the latest value that
makes sense for it. A bound is a value or a function called at each validation and rendering
(``today``, ``now``), because "not in the future" moves. A value outside the bounds gets a
translated message next to the field, and nothing is saved; the input's ``min`` and ``max``
attributes give the browser's date picker the same range.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

DateBound = datetime.date | Callable[[], datetime.date]
# Aware date-times (USE_TZ): a naive bound cannot be compared with the aware value.
DateTimeBound = datetime.datetime | Callable[[], datetime.datetime]


def today() -> datetime.date:
    """Today in the site's time zone: the latest bound of a date that cannot be in the future."""
    return timezone.localdate()


def now() -> datetime.datetime:
    """The latest bound of a date-time that cannot be in the future."""
    return timezone.now()


def _resolve(bound):
    return bound() if callable(bound) else bound


class BoundedDateInput(forms.DateInput):
    """``<input type="date">`` whose ``min`` and ``max`` are the field's bounds of the moment."""

    input_type = "date"
    html_format = "%Y-%m-%d"

    def __init__(self, attrs=None, format=None):
        super().__init__(attrs, format or self.html_format)
        # Set by the field: (earliest, latest).
        self.bounds: tuple = (None, None)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        earliest, latest = (_resolve(bound) for bound in self.bounds)
        rendered = context["widget"]["attrs"]
        if earliest is not None:
            rendered.setdefault("min", self._html_min(earliest))
        if latest is not None:
            rendered.setdefault("max", self._html_max(latest))
        return context

    def _html_min(self, bound) -> str:
        return bound.strftime(self.html_format)

    def _html_max(self, bound) -> str:
        return bound.strftime(self.html_format)


class BoundedDateTimeInput(BoundedDateInput):
    """``<input type="datetime-local">`` with ``min`` and ``max`` to the day: the exact bound
    (such as "now") is the server's check, the picker only greys out the days outside."""

    input_type = "datetime-local"
    html_format = "%Y-%m-%dT%H:%M"
    format_key = "DATETIME_INPUT_FORMATS"

    def _html_min(self, bound) -> str:
        return timezone.localtime(bound).strftime("%Y-%m-%dT00:00")

    def _html_max(self, bound) -> str:
        return timezone.localtime(bound).strftime("%Y-%m-%dT23:59")


class _Bounded:
    """What the date and date-time fields share: the bounds, their check, their widget."""

    def __init__(self, *, earliest, latest, **kwargs):
        super().__init__(**kwargs)
        self.earliest, self.latest = earliest, latest
        if isinstance(self.widget, BoundedDateInput):
            self.widget.bounds = (earliest, latest)

    def _shown(self, bound) -> str:
        raise NotImplementedError

    def validate(self, value):
        super().validate(value)
        if value in self.empty_values:
            return
        # Comparing (unlike converting) never overflows, even for the year 1 or 9999.
        earliest = _resolve(self.earliest)
        if value < earliest:
            raise forms.ValidationError(
                self.error_messages["too_early"],
                code="too_early",
                params={"limit": self._shown(earliest)},
            )
        latest = _resolve(self.latest)
        if value > latest:
            code = "future" if self.latest in (today, now) else "too_late"
            raise forms.ValidationError(
                self.error_messages[code], code=code, params={"limit": self._shown(latest)}
            )


class BoundedDateField(_Bounded, forms.DateField):
    """A date between ``earliest`` and ``latest`` (both allowed). ``latest=today`` refuses the
    future with its own message; override any message with ``error_messages``."""

    widget = BoundedDateInput
    default_error_messages = {
        "too_early": _("Enter a date on or after %(limit)s."),
        "too_late": _("Enter a date on or before %(limit)s."),
        "future": _("The date cannot be in the future."),
    }

    def __init__(self, *, earliest: DateBound, latest: DateBound, **kwargs):
        super().__init__(earliest=earliest, latest=latest, **kwargs)

    def _shown(self, bound: datetime.date) -> str:
        return formats.date_format(bound, "DATE_FORMAT")


class BoundedDateTimeField(_Bounded, forms.DateTimeField):
    """A date and time between ``earliest`` and ``latest`` (aware, both allowed).
    ``latest=now`` refuses the future with its own message."""

    widget = BoundedDateTimeInput
    default_error_messages = {
        "too_early": _("Enter a date and time on or after %(limit)s."),
        "too_late": _("Enter a date and time on or before %(limit)s."),
        "future": _("The date and time cannot be in the future."),
    }

    def __init__(self, *, earliest: DateTimeBound, latest: DateTimeBound, **kwargs):
        super().__init__(earliest=earliest, latest=latest, **kwargs)

    def _shown(self, bound: datetime.datetime) -> str:
        # The time on 24 hours, as the input takes it (English DATETIME_FORMAT ends in "p.m.").
        local = timezone.localtime(bound)
        return f"{formats.date_format(local, 'DATE_FORMAT')} {formats.time_format(local, 'H:i')}"


def hidden_field_error_on_top(form: forms.Form, name: str) -> None:
    """Move the errors of the hidden field ``name`` to the top of ``form`` (next to no field,
    nobody would see them) and clear its value, so the form shown again can be sent without it
    (e.g. a session named in a link that has since closed)."""
    if name not in form.errors:
        return
    for message in form.errors.pop(name):
        form.add_error(None, message)
    data = form.data.copy()
    data[form.add_prefix(name)] = ""
    form.data = data
