"""Django's form renderer, with its own form templates written in Python.

Why: Django renders a form field through four to six small templates (``field.html``, the
label's ``label.html`` and ``attrs.html``, the error list, the widget's ``text.html`` →
``input.html`` → ``attrs.html``), each with its own context and variable lookups. On a form page
that is most of the time: 80 % of the profile page's 13 fields (bench/profile_page.py).

How: ``FormRenderer`` is ``django.forms.renderers.DjangoTemplates`` (the default
``FORM_RENDERER``) whose ``render(template_name, context)`` writes the templates it knows in
Python — the same HTML, byte for byte — and hands every other template to Django's engine. It
sits at the one place every form, field, label, error list and widget of every app goes
through (allauth's forms and the admin's included), so nothing else changes:

- what is written comes from Django's own Python (``BoundField.label_tag``, ``aria_describedby``,
  ``Widget.get_context``...); only the templates' text is replaced, so labels, help texts,
  ``aria-describedby``/``aria-invalid`` and translated suffixes stay Django's;
- every value is escaped as ``{{ value }}`` escapes it (``render_value_in_context``: safe
  strings as they are, the rest localised and HTML-escaped), ``stringformat:'s'`` and ``safe``
  exactly as the template filters do;
- a template is written in Python only while the template Django would load is, character for
  character, the text the code was written from (``TEMPLATES`` below, checked once per
  process): a Django upgrade that changes one, or a project that overrides one, gets Django's
  rendering back (and a warning in the log), never a stale copy. A custom widget or field with a
  template of its own, a Select whose options use another template, a value a template would
  treat specially (a callable) — Django renders them.

``cll/core/tests/test_formrender.py`` renders the project's forms (empty, valid, invalid) both
ways and compares the HTML.
"""

from __future__ import annotations

import datetime
import decimal
import html as html_module
import logging
from collections.abc import Callable

from django import forms
from django.forms.boundfield import BoundField
from django.forms.renderers import DjangoTemplates
from django.template import TemplateDoesNotExist
from django.template.base import render_value_in_context
from django.utils.safestring import SafeData, SafeString

from cll.core.choices import FixedChoices

logger = logging.getLogger(__name__)


class _Unsupported(Exception):
    """A value the template would treat in a way this module does not copy: Django renders."""


class _TemplateContext:
    # What render_value_in_context reads from a template's Context: Django's defaults.
    autoescape = True
    use_l10n = None
    use_tz = None


_CONTEXT = _TemplateContext()
# What the template localises (numbers, dates, times: formats.localize, template_localtime).
_LOCALISED = (int, float, decimal.Decimal, datetime.date, datetime.time)
_escape = html_module.escape  # django.utils.html.escape is this, marked safe


def _text(value) -> str:
    """``{{ value }}``: a safe string as it is; anything else localised, made text, escaped
    (``render_value_in_context``, with its cases for plain and lazy strings written out)."""
    kind = type(value)
    if kind is SafeString:
        return value
    if kind is str:
        return _escape(value)
    if isinstance(value, _LOCALISED):
        return render_value_in_context(value, _CONTEXT)
    if callable(value):
        # A template calls it first.
        raise _Unsupported
    if not isinstance(value, str):
        value = str(value)
    return value.__html__() if hasattr(value, "__html__") else _escape(value)


def _stringformat(value) -> str:
    """``{{ value|stringformat:'s' }}`` (an ``is_safe`` filter: safe input stays unescaped)."""
    if type(value) is str:
        return _escape(value)
    if callable(value):
        raise _Unsupported
    try:
        formatted = "%s" % (str(value) if isinstance(value, tuple) else value)
    except (ValueError, TypeError):
        formatted = ""
    return formatted if isinstance(value, SafeData) else _escape(formatted)


def _attrs(attrs: dict) -> str:
    """``attrs.html``: False leaves the attribute out, True writes its name alone."""
    if "items" in attrs:
        # The template's ``attrs.items`` would read that key, not the dict's items().
        raise _Unsupported
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(" " + _text(name))
        else:
            parts.append(f' {_text(name)}="{_stringformat(value)}"')
    return "".join(parts)


# -- The templates, each written as Django's text gives it (before the renderer's strip()) ----


def _input(widget: dict) -> str:
    """``widgets/input.html``"""
    value = widget["value"]
    html = f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"'
    if value != None:  # noqa: E711 (the template's own test: != None, not "is not None")
        html += f' value="{_stringformat(value)}"'
    return html + _attrs(widget["attrs"]) + ">\n"


def _input_template(context: dict) -> str:
    # text.html, email.html, ... : {% include "django/forms/widgets/input.html" %}\n
    return _input(context["widget"]) + "\n"


def _input_option(option: dict) -> str:
    """``widgets/input_option.html``: a radio or checkbox, inside its label."""
    if not option["wrap_label"]:
        return _input(option) + "\n"
    option_id = option["attrs"].get("id")
    label_for = f' for="{_text(option_id)}"' if option_id else ""
    return f"<label{label_for}>{_input(option)} {_text(option['label'])}</label>\n"


def _input_option_template(context: dict) -> str:
    # radio_option.html, checkbox_option.html: {% include ".../input_option.html" %}\n
    return _input_option(context["widget"]) + "\n"


def _option(option: dict) -> str:
    """``widgets/select_option.html``"""
    if option["template_name"] != _SELECT_OPTION:
        raise _Unsupported
    return (
        f'<option value="{_stringformat(option["value"])}"{_attrs(option["attrs"])}>'
        f"{_text(option['label'])}</option>\n"
    )


def _select(context: dict) -> str:
    """``widgets/select.html``"""
    widget = context["widget"]
    html = [f'<select name="{_text(widget["name"])}"', _attrs(widget["attrs"]), ">"]
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            html.append(f'\n  <optgroup label="{_text(group_name)}">')
        for option in options:
            html.append("\n  " + _option(option))
        if group_name:
            html.append("\n  </optgroup>")
    html.append("\n</select>\n")
    return "".join(html)


def _multiple_input(context: dict) -> str:
    """``widgets/multiple_input.html`` (radio.html, checkbox_select.html include it)."""
    widget = context["widget"]
    widget_id = widget["attrs"].get("id")
    css_class = widget["attrs"].get("class")
    html = ["<div"]
    if widget_id:
        html.append(f' id="{_text(widget_id)}"')
    if css_class:
        html.append(f' class="{_text(css_class)}"')
    html.append(">")
    for group, options, _index in widget["optgroups"]:
        if group:
            html.append(f"\n  <div><label>{_text(group)}</label>")
        for option in options:
            template_name = option["template_name"]
            if template_name == _INPUT_OPTION:
                written = _input_option(option)
            elif template_name in _INPUT_OPTION_INCLUDES:
                written = _input_option(option) + "\n"
            else:
                raise _Unsupported
            html.append("<div>\n    " + written + "</div>")
        if group:
            html.append("\n  </div>")
    html.append("\n</div>\n")
    return "".join(html)


def _textarea(context: dict) -> str:
    """``widgets/textarea.html``"""
    widget = context["widget"]
    value = widget["value"]
    return (
        f'<textarea name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>\n'
        f"{_text(value) if value else ''}</textarea>\n"
    )


def _label(context: dict) -> str:
    """``label.html`` (``BoundField.label_tag``/``legend_tag`` build its context)."""
    if not context["use_tag"]:
        return _text(context["label"]) + "\n"
    tag = _text(context["tag"])
    return f"<{tag}{_attrs(context['attrs'])}>{_text(context['label'])}</{tag}>\n"


def _error_list(context: dict) -> str:
    """``errors/list/default.html`` → ``errors/list/ul.html``"""
    errors = context["errors"]
    if not errors:
        return ""
    field_id = getattr(errors, "field_id", None)
    html = f'<ul class="{_text(context["error_class"])}"'
    if field_id:
        html += f' id="{_text(field_id)}_error"'
    return html + ">" + "".join(f"<li>{_text(error)}</li>" for error in errors) + "</ul>"


def _bound_field(context: dict) -> BoundField:
    field = context["field"]
    # The template looks field.x up as field["x"] first: a BoundField that answers that
    # differently from Django's is rendered by Django.
    if type(field).__getitem__ is not BoundField.__getitem__:
        raise _Unsupported
    return field


def _field(context: dict) -> str:
    """``field.html``: label (or legend), help text, errors, widget."""
    field = _bound_field(context)
    fieldset = field.use_fieldset
    if fieldset:
        described_by = field.aria_describedby
        html = "\n  <fieldset"
        if described_by:
            html += f' aria-describedby="{_text(described_by)}"'
        html += ">\n  "
        if field.label:
            html += _text(field.legend_tag())
    else:
        html = "\n  "
        if field.label:
            html += _text(field.label_tag())
    html += "\n\n"
    help_text = field.help_text
    if help_text:
        auto_id = field.auto_id
        html += '<div class="helptext"'
        if auto_id:
            html += f' id="{_text(auto_id)}_helptext"'
        # {{ field.help_text|safe }}: help texts are HTML by Django's rule.
        html += f">{help_text!s}</div>"
    html += "\n" + _text(field.errors) + "\n" + _text(field)
    if fieldset:
        html += "</fieldset>"
    return html + "\n"


def _div(context: dict) -> str:
    """``div.html``: ``{{ form }}`` / ``form.as_div()``."""
    errors = context["errors"]
    fields = context["fields"]
    hidden = "".join(_text(field) for field in context["hidden_fields"])
    html = [_text(errors), "\n"]
    if errors and not fields:
        html.append(f"\n  <div>{hidden}</div>\n")
    html.append("\n")
    last = len(fields) - 1
    for index, (field, _errors) in enumerate(fields):
        classes = field.css_classes()
        html.append("\n  <div")
        if classes:
            html.append(f' class="{_text(classes)}"')
        html.append(f">\n    {_text(field.as_field_group())}\n    ")
        if index == last:
            html.append(f"\n      {hidden}\n    ")
        html.append("\n</div>\n")
    html.append("\n")
    if not fields and not errors:
        html.append(f"\n  {hidden}\n")
    html.append("\n")
    return "".join(html)


# -- Django 6.1's text of every template written above -----------------------------------------

_F = "django/forms/"
_W = _F + "widgets/"
_SELECT_OPTION = _W + "select_option.html"
_INPUT_OPTION = _W + "input_option.html"
_INPUT_OPTION_INCLUDES = (_W + "radio_option.html", _W + "checkbox_option.html")
_INCLUDE_INPUT = '{% include "django/forms/widgets/input.html" %}\n'
_INCLUDE_INPUT_OPTION = '{% include "django/forms/widgets/input_option.html" %}\n'
_INCLUDE_MULTIPLE_INPUT = '{% include "django/forms/widgets/multiple_input.html" %}\n'
_ATTRS_LOOP = (
    "{%% for name, value in %s.items %%}{%% if value is not False %%} {{ name }}"
    "{%% if value is not True %%}=\"{{ value|stringformat:'s' }}\"{%% endif %%}{%% endif %%}"
    "{%% endfor %%}"
)
_INPUT_TYPES = (
    *("checkbox", "color", "date", "datetime", "email", "file", "hidden", "number"),
    *("password", "search", "tel", "text", "time", "url"),
)

TEMPLATES: dict[str, str] = {
    _F + "attrs.html": _ATTRS_LOOP % "attrs",
    _W + "attrs.html": _ATTRS_LOOP % "widget.attrs",
    _F + "label.html": (
        "{% if use_tag %}<{{ tag }}{% include 'django/forms/attrs.html' %}>{{ label }}</{{ tag }}>"
        "{% else %}{{ label }}{% endif %}\n"
    ),
    _F + "errors/list/default.html": '{% include "django/forms/errors/list/ul.html" %}',
    _F + "errors/list/ul.html": (
        '{% if errors %}<ul class="{{ error_class }}"{% if errors.field_id %} '
        'id="{{ errors.field_id }}_error"{% endif %}>{% for error in errors %}<li>{{ error }}</li>'
        "{% endfor %}</ul>{% endif %}"
    ),
    _F + "field.html": (
        "{% if field.use_fieldset %}\n  <fieldset{% if field.aria_describedby %} "
        'aria-describedby="{{ field.aria_describedby }}"{% endif %}>\n  {% if field.label %}'
        "{{ field.legend_tag }}{% endif %}\n{% else %}\n  {% if field.label %}{{ field.label_tag }}"
        '{% endif %}\n{% endif %}\n{% if field.help_text %}<div class="helptext"'
        '{% if field.auto_id %} id="{{ field.auto_id }}_helptext"{% endif %}>'
        "{{ field.help_text|safe }}</div>{% endif %}\n{{ field.errors }}\n{{ field }}"
        "{% if field.use_fieldset %}</fieldset>{% endif %}\n"
    ),
    _F + "div.html": (
        "{{ errors }}\n{% if errors and not fields %}\n  <div>{% for field in hidden_fields %}"
        "{{ field }}{% endfor %}</div>\n{% endif %}\n{% for field, errors in fields %}\n  <div"
        '{% with classes=field.css_classes %}{% if classes %} class="{{ classes }}"{% endif %}'
        "{% endwith %}>\n    {{ field.as_field_group }}\n    {% if forloop.last %}\n      "
        "{% for field in hidden_fields %}{{ field }}{% endfor %}\n    {% endif %}\n</div>\n"
        "{% endfor %}\n{% if not fields and not errors %}\n  {% for field in hidden_fields %}"
        "{{ field }}{% endfor %}\n{% endif %}\n"
    ),
    _W + "input.html": (
        '<input type="{{ widget.type }}" name="{{ widget.name }}"{% if widget.value != None %} '
        "value=\"{{ widget.value|stringformat:'s' }}\"{% endif %}"
        '{% include "django/forms/widgets/attrs.html" %}>\n'
    ),
    **{f"{_W}{kind}.html": _INCLUDE_INPUT for kind in _INPUT_TYPES},
    _W + "textarea.html": (
        '<textarea name="{{ widget.name }}"{% include "django/forms/widgets/attrs.html" %}>\n'
        "{% if widget.value %}{{ widget.value }}{% endif %}</textarea>\n"
    ),
    _W + "select.html": (
        '<select name="{{ widget.name }}"{% include "django/forms/widgets/attrs.html" %}>'
        "{% for group_name, group_choices, group_index in widget.optgroups %}{% if group_name %}"
        '\n  <optgroup label="{{ group_name }}">{% endif %}{% for option in group_choices %}\n  '
        "{% include option.template_name with widget=option %}{% endfor %}{% if group_name %}\n"
        "  </optgroup>{% endif %}{% endfor %}\n</select>\n"
    ),
    _SELECT_OPTION: (
        "<option value=\"{{ widget.value|stringformat:'s' }}\""
        '{% include "django/forms/widgets/attrs.html" %}>{{ widget.label }}</option>\n'
    ),
    _W + "multiple_input.html": (
        '{% with id=widget.attrs.id %}<div{% if id %} id="{{ id }}"{% endif %}'
        '{% if widget.attrs.class %} class="{{ widget.attrs.class }}"{% endif %}>'
        "{% for group, options, index in widget.optgroups %}{% if group %}\n  <div><label>"
        "{{ group }}</label>{% endif %}{% for option in options %}<div>\n    "
        "{% include option.template_name with widget=option %}</div>{% endfor %}"
        "{% if group %}\n  </div>{% endif %}{% endfor %}\n</div>{% endwith %}\n"
    ),
    _W + "radio.html": _INCLUDE_MULTIPLE_INPUT,
    _W + "checkbox_select.html": _INCLUDE_MULTIPLE_INPUT,
    _INPUT_OPTION: (
        '{% if widget.wrap_label %}<label{% if widget.attrs.id %} for="{{ widget.attrs.id }}"'
        '{% endif %}>{% endif %}{% include "django/forms/widgets/input.html" %}'
        "{% if widget.wrap_label %} {{ widget.label }}</label>{% endif %}\n"
    ),
    _W + "radio_option.html": _INCLUDE_INPUT_OPTION,
    _W + "checkbox_option.html": _INCLUDE_INPUT_OPTION,
}

_OPTIONS = (_INPUT_OPTION, _W + "input.html", _W + "attrs.html")
_INPUT = (_W + "input.html", _W + "attrs.html")

# Template name → (what writes it, every template whose text it embodies).
WRITERS: dict[str, tuple[Callable[[dict], str], tuple[str, ...]]] = {
    _F + "field.html": (_field, ()),
    _F + "div.html": (_div, ()),
    _F + "label.html": (_label, (_F + "attrs.html",)),
    _F + "errors/list/default.html": (_error_list, (_F + "errors/list/ul.html",)),
    _F + "errors/list/ul.html": (_error_list, ()),
    _W + "input.html": (lambda context: _input(context["widget"]), (_W + "attrs.html",)),
    **{f"{_W}{kind}.html": (_input_template, _INPUT) for kind in _INPUT_TYPES},
    _W + "textarea.html": (_textarea, (_W + "attrs.html",)),
    _W + "select.html": (_select, (_SELECT_OPTION, _W + "attrs.html")),
    _SELECT_OPTION: (lambda context: _option(context["widget"]), (_W + "attrs.html",)),
    _W + "multiple_input.html": (_multiple_input, (*_OPTIONS, *_INPUT_OPTION_INCLUDES)),
    _W + "radio.html": (
        _multiple_input,
        (_W + "multiple_input.html", *_OPTIONS, *_INPUT_OPTION_INCLUDES),
    ),
    _W + "checkbox_select.html": (
        _multiple_input,
        (_W + "multiple_input.html", *_OPTIONS, *_INPUT_OPTION_INCLUDES),
    ),
    _INPUT_OPTION: (lambda context: _input_option(context["widget"]), _INPUT),
    _W + "radio_option.html": (_input_option_template, _OPTIONS),
    _W + "checkbox_option.html": (_input_option_template, _OPTIONS),
}


def select_html(widget, name: str, value, attrs: dict | None) -> str | None:
    """What ``widget.render(name, value, attrs)`` gives for a Django ``Select`` with its own
    templates and option logic, written straight from its choices (without the dict Django
    builds per option: most of a 250-country list's time); None for any other widget."""
    kind = type(widget)
    if not (
        kind.get_context is forms.Select.get_context
        and kind.optgroups is forms.Select.optgroups
        and kind.create_option is forms.Select.create_option
        and widget.template_name == _W + "select.html"
        and widget.option_template_name == _SELECT_OPTION
        and not widget.option_inherits_attrs
        and widget.checked_attribute == {"selected": True}
    ):
        return None
    # Widget.get_context, ChoiceWidget.optgroups and create_option, select.html.
    values = widget.format_value(value)
    built = widget.build_attrs(widget.attrs, attrs)
    multiple = widget.allow_multiple_selected
    if multiple:
        built["multiple"] = True
    try:
        head = f'<select name="{_text(name)}"{_attrs(built)}>'
        choices = widget.choices
        if isinstance(choices, FixedChoices):
            key = (tuple(values), multiple)
            options = choices.written.get(key)
            if options is None:
                options = _options(choices, values, multiple)
                if len(choices.written) < FixedChoices.KEPT:
                    choices.written[key] = options
        else:
            options = _options(choices, values, multiple)
    except _Unsupported:
        return None
    return head + options + "\n</select>"


def _options(choices, values, multiple: bool) -> str:
    html = []
    has_selected = False
    for option_value, option_label in choices:
        if option_value is None:
            option_value = ""
        if isinstance(option_label, list | tuple):
            group_name, group = option_value, option_label
        else:
            group_name, group = None, ((option_value, option_label),)
        if group_name:
            html.append(f'\n  <optgroup label="{_text(group_name)}">')
        for subvalue, sublabel in group:
            selected = (not has_selected or multiple) and str(subvalue) in values
            has_selected |= selected
            html.append(
                f'\n  <option value="{_stringformat(subvalue)}"'
                f"{' selected' if selected else ''}>{_text(sublabel)}</option>\n"
            )
        if group_name:
            html.append("\n  </optgroup>")
    return "".join(html)


def write(template_name: str, context: dict) -> str | None:
    """What a renderer returns for Django's ``template_name`` with ``context`` (its output,
    stripped), written in Python; None when Django's engine must render it (no writer, or a
    value the writer does not cover). Whether Django's text of the template is the one
    written here is the caller's check (``FormRenderer`` makes it)."""
    writer = WRITERS.get(template_name)
    if writer is None:
        return None
    try:
        return writer[0](context).strip()
    except (_Unsupported, KeyError):
        # Something the text above does not cover: Django's own rendering decides.
        return None


class FormRenderer(DjangoTemplates):
    """``FORM_RENDERER = "cll.core.formrender.FormRenderer"``: Django's templates renderer,
    with Django's own form templates written in Python (same HTML; rules in the module's
    docstring). Any other template — a widget's own, the admin's, allauth's — is Django's."""

    def __init__(self):
        super().__init__()
        # Template name → whether its writer may be used (checked once, on first use).
        self._usable: dict[str, bool] = {}

    def render(self, template_name, context, request=None):
        usable = self._usable.get(template_name)
        if usable is None:
            usable = self._usable[template_name] = self._check(template_name)
        if usable:
            html = write(template_name, context)
            if html is not None:
                return html
        return super().render(template_name, context, request=request)

    def _check(self, template_name: str) -> bool:
        """Whether ``template_name`` has a writer and Django would load, for it and for every
        template the writer embodies, exactly the text the writer was written from."""
        if template_name not in WRITERS:
            return False
        for name in (template_name, *WRITERS[template_name][1]):
            try:
                source = self.get_template(name).template.source
            except TemplateDoesNotExist:
                source = None
            if source != TEMPLATES[name]:
                logger.warning(
                    "Form template %s is not the text cll.core.formrender was written from: "
                    "%s is rendered by Django's engine (slower, same HTML).",
                    name,
                    template_name,
                )
                return False
        return True
