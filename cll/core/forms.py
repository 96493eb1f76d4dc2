"""Forms whose instances share their fields: copied once per language, not once per form.

Django's ``BaseForm.__init__`` deep-copies every field of the class for every form made, so that
an instance may change its own fields (choices, labels) without touching the class's. A form
shown on every request pays for it each time: about 0.1 ms for the profile form's 14 fields,
its widgets, validators and error messages (bench/profile_page.py). Most forms never change
their fields per instance; the ones that do usually change them per language (a list of
countries sorted in the reader's language).

``SharedFieldsForm`` is for those: its fields are copied once per language, adapted once by
``localise_fields(fields, language)``, and shared by every instance made in that language (each
gets its own dict of them, so the order may still differ). The rule for whoever uses it:

**nothing may change a shared field after ``localise_fields``** — not the form's ``__init__``,
not a view, not a subclass. A change would reach every other request in that language. Forms
that change fields per instance (per person, per order) keep Django's copy.

Being shared and unchanged, the fields also let the form renderer keep a whole unbound form as
HTML with only the values written per request (``cll.core.formrender``: ``fields_shared``).
"""

from __future__ import annotations

import copy
import threading
from typing import Any, ClassVar

from django.core.signals import setting_changed
from django.utils.translation import get_language

_lock = threading.Lock()
# Every class's copies, so that a changed setting (which a label may show) forgets them all.
_copies: dict[tuple[type, str | None], dict[str, Any]] = {}


class _Shared(dict):
    """The class's fields for one language, as ``BaseForm.__init__`` reads ``base_fields``:
    its deep copy is a new dict of the same (shared) fields."""

    def __deepcopy__(self, memo) -> dict:
        return dict(self)


class SharedFieldsForm:
    """A form mixin (first among the bases) whose instances share their fields per language.

    A form class (or a base of it) may define ``localise_fields(cls, fields, language)``, a
    class method called once per language on that language's copy (e.g. to set choices in that
    language): the only place its fields may change (the module's rule).
    """

    # Read by the form renderer: the fields are the same objects for every instance of this
    # class in this language, and never change.
    fields_shared: ClassVar[bool] = True

    def __init__(self, *args, **kwargs):
        # Read by BaseForm.__init__ in place of the class's base_fields.
        self.base_fields = _fields_of(type(self), get_language())
        super().__init__(*args, **kwargs)


def _fields_of(form_class: type, language: str | None) -> _Shared:
    key = (form_class, language)
    fields = _copies.get(key)
    if fields is None:
        with _lock:
            fields = _copies.get(key)
            if fields is None:
                fields = _Shared(copy.deepcopy(form_class.base_fields))
                localise = getattr(form_class, "localise_fields", None)
                if localise is not None:
                    localise(fields, language)
                _copies[key] = fields
    return fields


def _on_setting_changed(**kwargs) -> None:
    # Tests that change a setting a label or a choice may show get fresh copies.
    with _lock:
        _copies.clear()


setting_changed.connect(_on_setting_changed, dispatch_uid="cll.core.forms")
