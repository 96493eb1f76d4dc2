"""Text stored once per interface language, read in the visitor's language.

Translatable content (a session title, a news item) is kept in one column per UI language
(``title_fr``, ``title_en``, ``title_nl``): plain columns stay queryable, indexable and editable
side by side in the admin, with no join and no JSON path. ``TranslatedText`` reads the column of
the active language and falls back to the default language (French), then to any other, so a
missing translation never shows an empty heading.

Other apps may use it (content does); it imports nothing from the domain.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import get_language


def language_codes() -> list[str]:
    """The UI languages, default first: the order in which translations are looked for."""
    codes = [code for code, _name in settings.LANGUAGES]
    default = settings.LANGUAGE_CODE
    return [default, *(code for code in codes if code != default)]


def field_names(stem: str) -> list[str]:
    """``title`` -> ``["title_fr", "title_en", "title_nl"]`` (default language first)."""
    return [f"{stem}_{code}" for code in language_codes()]


class TranslatedText:
    """A read-only attribute returning ``<stem>_<active language>``, with fallbacks.

    ``title = TranslatedText("title")`` on a model with ``title_fr``/``title_en``/``title_nl``
    columns makes ``obj.title`` (and ``{{ obj.title }}`` in templates) follow the active language.
    """

    def __init__(self, stem: str):
        self.stem = stem

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        return self.value_for(instance, get_language())

    def value_for(self, instance, language: str | None) -> str:
        active = (language or settings.LANGUAGE_CODE).split("-")[0]
        for code in [active, *language_codes()]:
            value = getattr(instance, f"{self.stem}_{code}", "")
            if value:
                return value
        return ""
