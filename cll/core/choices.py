"""Choices made once and never changed, such as a list of countries in one language.

A form that sets a long list of choices (about 250 countries) paid for it on every request:
Django normalises the list when a field or widget receives it, copies it with the form, and the
select writes every option again (bench/profile_page.py: about 0.6 ms of the profile page).
``FixedChoices`` is taken as it is by Django (a choice iterator), shared by a form's copies, and
``cll.core.formrender.select_html`` writes its options once per selected value. Its labels are
text in one language: make one per language (e.g. ``functools.cache`` on the language).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.choices import BaseChoiceIterator


class FixedChoices(BaseChoiceIterator):
    # Options written per selected value: a country list has ~250 possible selections.
    KEPT = 512

    def __init__(self, choices: Iterable[tuple[str, str]]):
        self.choices = tuple((value, str(label)) for value, label in choices)
        self.written: dict[tuple, str] = {}

    def __iter__(self):
        return iter(self.choices)

    def __len__(self) -> int:
        return len(self.choices)

    def __deepcopy__(self, memo) -> FixedChoices:
        return self  # never changed: a form's copy shares it
