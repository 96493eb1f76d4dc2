"""Form widgets written in Python where Django's template rendering is the cost of a page.

Django renders a ``<select>`` through a template that includes another template per option: a
country list (about 250 options) took most of the profile and sign-up pages' time
(bench/profile_page.py). ``Select`` writes the same HTML, byte for byte, with the writers of
``cll.core.formrender`` (``cll/core/tests/test_widgets.py`` compares it with Django's
rendering). With ``FORM_RENDERER = "cll.core.formrender.FormRenderer"`` every ``Select`` is
written that way; this one is for a form rendered with another renderer.
"""

from __future__ import annotations

from django import forms
from django.utils.safestring import SafeString, mark_safe

from cll.core.formrender import select_html, write


class Select(forms.Select):
    """Django's ``Select``, written in Python whatever the form renderer (straight from its
    choices when nothing of Django's option logic is overridden)."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        html = select_html(self, name, value, attrs)
        if html is None:
            context = self.get_context(name, value, attrs)
            html = write(self.template_name, context)
            if html is None:
                return self._render(self.template_name, context, renderer)
        return mark_safe(html)  # noqa: S308 (cll.core.formrender escapes every value)
