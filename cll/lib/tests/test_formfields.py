"""Bounded date and date-time fields: refused outside their bounds with a translated message
(never an overflow), moving bounds worked out when used, min and max on the input."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django import forms
from django.utils import translation

from cll.lib.formfields import BoundedDateField, BoundedDateTimeField, now, today

NOW = dt.datetime(2026, 3, 5, 12, 0, tzinfo=dt.UTC)


class DayForm(forms.Form):
    day = BoundedDateField(earliest=dt.date(2000, 1, 1), latest=today)
    window = BoundedDateField(
        earliest=dt.date(2000, 1, 1), latest=dt.date(2030, 12, 31), required=False
    )


class MomentForm(forms.Form):
    moment = BoundedDateTimeField(
        earliest=lambda: now() - dt.timedelta(days=10),
        latest=now,
        error_messages={"future": "Not yet."},
    )


class BoundsOnlyForm(forms.Form):
    # The default messages.
    moment = BoundedDateTimeField(earliest=dt.datetime(2000, 1, 1, tzinfo=dt.UTC), latest=now)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False), translation.override("en"):
        yield


def _errors(form_class, **data) -> dict:
    form = form_class(data)
    form.is_valid()
    return form.errors


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"day": "2000-01-01"}, {}),
        ({"day": "2026-03-05"}, {}),
        ({"day": "1999-12-31"}, {"day": ["Enter a date on or after Jan. 1, 2000."]}),
        ({"day": "0001-01-01"}, {"day": ["Enter a date on or after Jan. 1, 2000."]}),
        ({"day": "2026-03-06"}, {"day": ["The date cannot be in the future."]}),
        ({"day": "9999-12-31"}, {"day": ["The date cannot be in the future."]}),
        (
            {"day": "2026-03-05", "window": "2031-01-01"},
            {"window": ["Enter a date on or before Dec. 31, 2030."]},
        ),
        ({"day": "2026-03-05", "window": ""}, {}),
    ],
)
def test_it_bounds_a_date(data, errors):
    assert _errors(DayForm, **data) == errors


@pytest.mark.parametrize(
    ("value", "errors"),
    [
        ("2026-03-05T13:00", {}),
        ("2026-02-23T13:00", {}),
        ("2026-02-23T12:59", ["Enter a date and time on or after Feb. 23, 2026 13:00."]),
        ("0001-01-01T00:00", ["Enter a date and time on or after Feb. 23, 2026 13:00."]),
        ("0001-01-01T00:00+05:00", ["Enter a date and time on or after Feb. 23, 2026 13:00."]),
        ("2026-03-05T13:01", ["Not yet."]),
        ("9999-12-31T23:59", ["Not yet."]),
        ("9999-12-31T23:59-05:00", ["Not yet."]),
    ],
)
def test_it_bounds_a_date_time_without_overflowing(value, errors):
    assert _errors(MomentForm, moment=value).get("moment", {}) == errors


def test_it_translates_the_messages():
    with translation.override("nl"):
        assert _errors(DayForm, day="1999-12-31") == {
            "day": ["Geef een datum in vanaf 1 januari 2000."]
        }
    with translation.override("fr"):
        assert _errors(MomentForm, moment="2026-03-06T00:00") == {"moment": ["Not yet."]}
        assert _errors(BoundsOnlyForm, moment="2026-03-06T00:00") == {
            "moment": ["La date et l'heure ne peuvent pas être dans le futur."]
        }


def test_it_works_out_a_moving_bound_when_used():
    form = DayForm()
    with time_machine.travel(NOW + dt.timedelta(days=1), tick=False):
        assert DayForm({"day": "2026-03-06"}).is_valid()
        assert 'max="2026-03-06"' in str(form["day"])


def test_it_gives_the_input_its_bounds():
    assert str(DayForm()["day"]) == (
        '<input type="date" name="day" required id="id_day" min="2000-01-01" max="2026-03-05">'
    )
    html = str(MomentForm()["moment"])
    assert 'type="datetime-local"' in html
    # To the day: the exact bound is the server's check.
    assert 'min="2026-02-23T00:00"' in html and 'max="2026-03-05T23:59"' in html
