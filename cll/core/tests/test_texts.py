"""Translated messages kept per language (cll/core/texts.py): the same text as gettext."""

from __future__ import annotations

from django.utils import translation
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy, pgettext_lazy

from cll.core import texts


def test_a_message_is_its_translation_in_each_language():
    for language, expected in (("fr", "Accueil"), ("nl", "Home"), ("en", "Home")):
        with translation.override(language):
            assert texts.translated("Home", language) == expected
            assert texts.translated("Home", language) == expected  # kept
            assert texts.text_of(gettext_lazy("Home"), language) == expected


def test_other_lazy_values_are_made_text_as_they_are():
    with translation.override("fr"):
        # A contextual message and any other lazy value: their own text, never a kept one.
        assert texts.text_of(pgettext_lazy("alt. month", "May"), "fr") == "Mai"
        counter = iter(range(10))
        moving = lazy(lambda: f"call {next(counter)}", str)()
        assert texts.text_of(moving, "fr") == "call 0"
        assert texts.text_of(moving, "fr") == "call 1"
        assert texts.text_of("plain", "fr") == "plain"


def test_a_setting_change_forgets_what_was_kept(settings):
    texts.translated("Home", "fr")
    assert texts._messages
    settings.LANGUAGE_CODE = settings.LANGUAGE_CODE  # any override sends setting_changed
    assert not texts._messages
