"""Translated messages, kept per language: what a page asks for dozens of times.

Each of Django's ``gettext`` calls finds the active translation through a context-local
(``asgiref.Local``), about 2 to 5 µs; a page asks for the same few hundred messages on every
request (its templates' texts, the labels and help texts of its forms, ``gettext_lazy`` values
printed). ``translated(message, language)`` answers from a dict once a message has been
translated in that language; ``text_of(value, language)`` does the same for a
``gettext_lazy`` value (its text is ``gettext`` of its message) and is ``str()`` for any other.

Bounded (messages are the site's own literals; emptied past ``LIMIT`` anyway), and emptied when
a setting changes (tests that change the languages or the catalogues).
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.signals import setting_changed
from django.utils.translation import gettext, gettext_lazy

LIMIT = 20_000

_messages: dict[tuple[str, str], str] = {}
# The class of gettext_lazy's values (Django's lazy() makes one class per lazy function).
_GETTEXT_LAZY = type(gettext_lazy(""))


def translated(message: str, language: str | None) -> str:
    """``gettext(message)``; ``language`` must be the active language (the key it is kept
    under)."""
    try:
        return _messages[(language, message)]
    except KeyError:
        return kept(_messages, (language, message), lambda: gettext(message))


def kept[T](store: dict, key, make: Callable[[], T]) -> T:
    """``store[key]``, made by ``make()`` the first time; ``store`` is emptied when it holds
    more than ``LIMIT`` entries (for texts kept per language: the site's own literals)."""
    try:
        return store[key]
    except KeyError:
        if len(store) > LIMIT:
            store.clear()
        value = store[key] = make()
        return value


def text_of(value, language: str | None) -> str:
    """``str(value)``, from what is kept when ``value`` is a ``gettext_lazy`` message;
    ``language`` must be the active language."""
    if value.__class__ is _GETTEXT_LAZY and not value._kw and len(value._args) == 1:
        return translated(value._args[0], language)
    return str(value)


def _on_setting_changed(**kwargs) -> None:
    _messages.clear()


setting_changed.connect(_on_setting_changed, dispatch_uid="cll.core.texts")
