"""Form widgets written in Python where Django's template rendering is the cost of a page.

Django renders a ``<select>`` through a template that includes another template per option: a
country list (about 250 options) took most of the profile and sign-up pages' time
(bench/profile_page.py). ``Select`` writes the same HTML, byte for byte, with ``format_html``
(``cll/core/tests/test_widgets.py`` compares it with Django's rendering).
"""

from __future__ import annotations

from django import forms
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe


def _attrs(attrs: dict) -> str:
    # django/forms/widgets/attrs.html: False leaves the attribute out, True writes its name.
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        parts.append(
            format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value)
        )
    return "".join(parts)


class Select(forms.Select):
    """Django's ``Select``, rendered without a template per option."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        html = [format_html('<select name="{}"', widget["name"]), _attrs(widget["attrs"]), ">"]
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                html.append(format_html('\n  <optgroup label="{}">', group_name))
            for option in options:
                html.append(
                    format_html('\n  <option value="{}"', str(option["value"]))
                    + _attrs(option["attrs"])
                    + ">"
                    + conditional_escape(option["label"])
                    + "</option>\n"
                )
            if group_name:
                html.append("\n  </optgroup>")
        html.append("\n</select>")
        return mark_safe("".join(html))  # noqa: S308 (every value above is escaped)
