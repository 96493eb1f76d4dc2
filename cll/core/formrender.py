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

Field groups (``field.html``, most of a form page) go further: for a field without errors, the
renderer keeps what does not depend on the field's value — label or legend, help text, the
widget's attributes as Django's ``as_widget`` builds them, written out — keyed on everything
that HTML depends on (``_field_key``: the field's and widget's attributes, the form's ids,
prefix, suffix and classes, their classes, the language), at most ``KEPT`` groups per renderer.
Per request only the value is written, through Django's own ``BoundField.value()`` and the
widget's ``format_value`` (a select's options as ``select_html`` writes them); a widget or field
it does not know exactly is written through Django's path, and a field with errors as before.
No value of a field is kept.

A whole form goes further still when its fields are shared (``cll.core.forms.SharedFieldsForm``:
the same field objects for every instance in a language, never changed): for such a form,
unbound and without hidden fields, ``FormRenderer.form_fields`` keeps what the page's template
of a form's fields (``jinja2/forms/fields.html``) wrote, cut around the field groups; per request
only each group's value is written (``_Skeleton``). A bound form (which may show errors) is
always written by the template.

``cll/core/tests/test_formrender.py`` renders the project's forms (empty, with initial values,
valid, invalid, and instances a form's ``__init__`` changes) both ways and compares the HTML.
"""

from __future__ import annotations

import copy as copy_module
import datetime
import decimal
import html as html_module
import logging
from collections.abc import Callable

from django import forms
from django.forms.boundfield import BoundField
from django.forms.renderers import DjangoTemplates
from django.forms.widgets import Input, Widget
from django.template import TemplateDoesNotExist
from django.template.base import render_value_in_context
from django.utils.functional import Promise
from django.utils.safestring import SafeData, SafeString
from django.utils.translation import get_language

from cll.core.choices import FixedChoices
from cll.core.texts import text_of

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
    return _input_head(widget) + _input_value(widget["value"]) + _attrs(widget["attrs"]) + ">\n"


def _input_head(widget: dict) -> str:
    return f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"'


def _input_value(value) -> str:
    if value != None:  # noqa: E711 (the template's own test: != None, not "is not None")
        return f' value="{_stringformat(value)}"'
    return ""


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
    return _textarea_head(widget) + _textarea_value(widget["value"]) + "</textarea>\n"


def _textarea_head(widget: dict) -> str:
    return f'<textarea name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>\n'


def _textarea_value(value) -> str:
    return _text(value) if value else ""


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
    html = _field_head(field) + _text(field)
    if field.use_fieldset:
        html += "</fieldset>"
    return html + "\n"


def _field_head(field: BoundField) -> str:
    """``field.html`` up to the widget: what does not depend on the field's value."""
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
    return html + "\n" + _text(field.errors) + "\n"


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


def select_html(
    widget, name: str, value, attrs: dict | None, head: str | None = None
) -> str | None:
    """What ``widget.render(name, value, attrs)`` gives for a Django ``Select`` with its own
    templates and option logic, written straight from its choices (without the dict Django
    builds per option: most of a 250-country list's time); None for any other widget.
    ``head``: its ``_select_head``, already written."""
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
    multiple = widget.allow_multiple_selected
    try:
        if head is None:
            head = _select_head(widget, name, attrs)
        choices = widget.choices
        if isinstance(choices, FixedChoices):
            key = (tuple(values), multiple)
            options = choices.written.get(key)
            if options is None:
                options = _options(_option_pieces(choices), values, multiple)
                if len(choices.written) < FixedChoices.KEPT:
                    choices.written[key] = options
        else:
            options = _options(_option_pieces(choices), values, multiple)
    except _Unsupported:
        return None
    return head + options + "\n</select>"


def _select_head(widget, name: str, attrs: dict | None) -> str:
    built = widget.build_attrs(widget.attrs, attrs)
    if widget.allow_multiple_selected:
        built["multiple"] = True
    return f'<select name="{_text(name)}"{_attrs(built)}>'


def _option_pieces(choices) -> list:
    """The options of ``choices`` written without their selection: text between options, and
    per option (its value as the selection compares it, unselected, selected)."""
    pieces = []
    for option_value, option_label in choices:
        if option_value is None:
            option_value = ""
        if isinstance(option_label, list | tuple):
            group_name, group = option_value, option_label
        else:
            group_name, group = None, ((option_value, option_label),)
        if group_name:
            pieces.append(f'\n  <optgroup label="{_text(group_name)}">')
        for subvalue, sublabel in group:
            start = f'\n  <option value="{_stringformat(subvalue)}"'
            end = f">{_text(sublabel)}</option>\n"
            pieces.append((str(subvalue), start + end, start + " selected" + end))
        if group_name:
            pieces.append("\n  </optgroup>")
    return pieces


def _options(pieces: list, values, multiple: bool) -> str:
    html = []
    has_selected = False
    for piece in pieces:
        if piece.__class__ is str:
            html.append(piece)
            continue
        value, unselected, chosen = piece
        selected = (not has_selected or multiple) and value in values
        has_selected |= selected
        html.append(chosen if selected else unselected)
    return "".join(html)


# Widget class → BoundField.widget_type (it depends on the class's name only).
_WIDGET_TYPES: dict[type, str] = {}


def field_rows(form: forms.BaseForm) -> list[tuple[BoundField, bool, str]]:
    """The visible fields of ``form`` as a template lists them: (field, whether it has
    errors, its ``widget_type``), without the empty error list ``BoundField.errors`` makes
    for a field without errors, nor ``widget_type``'s regular expression per field."""
    errors = form.errors
    rows = []
    for field in form.visible_fields():
        kind = field.field.widget.__class__
        widget_type = _WIDGET_TYPES.get(kind)
        if widget_type is None:
            widget_type = _WIDGET_TYPES[kind] = field.widget_type
        rows.append((field, bool(errors.get(field.name)), widget_type))
    return rows


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


# -- A field group of a field without errors: what does not depend on its value, kept ---------

_FIELD = _F + "field.html"
_INPUT_TEMPLATES = frozenset(f"{_W}{kind}.html" for kind in _INPUT_TYPES)
_ABSENT = object()
# Attribute values whose type and equality in a key say how they are written.
_KEYED = frozenset((str, SafeString, int, bool, type(None)))
# How the widget is written per request (the rest of the field group is kept).
_AS_INPUT, _AS_CHECKBOX, _AS_TEXTAREA, _AS_SELECT, _AS_CONTEXT, _AS_DJANGO = range(6)
# cll.core.widgets.Select.render is select_html (that module imports this one).
_STRAIGHT_SELECT = ("cll.core.widgets", "Select.render")


_NOT_TEXT = object()


def _text_of(value, language: str | None):
    """A label, help text or suffix as the active language writes it (a lazy one made text;
    a safe one stays safe: it is not escaped); _NOT_TEXT for anything else (Django renders)."""
    if value.__class__ is str or value.__class__ is SafeString:
        return value
    if isinstance(value, Promise):
        return text_of(value, language)
    return _NOT_TEXT


def _field_key(bound: BoundField, form, field, widget):
    """Everything the value-independent part of ``bound``'s group depends on (Django's
    ``label_tag``/``legend_tag``, help text, ``aria-describedby``, ``build_widget_attrs``, the
    widget's attrs and templates), cheap to compute; None when it cannot be a key."""
    language = get_language()
    label = _text_of(bound.label, language)
    help_text = _text_of(bound.help_text, language)
    suffix = form.label_suffix
    field_suffix = field.label_suffix
    if suffix is not None:
        suffix = _text_of(suffix, language)
    if field_suffix is not None:
        field_suffix = _text_of(field_suffix, language)
    if _NOT_TEXT in (label, help_text, suffix, field_suffix):
        return None
    attrs = widget.attrs
    return (
        bound.html_name,
        form.auto_id,
        suffix.__class__,
        suffix,
        field_suffix.__class__,
        field_suffix,
        getattr(form, "required_css_class", _ABSENT),
        form.use_required_attribute,
        form.template_name_label,
        form.error_class,
        form.__class__,
        label.__class__,
        label,
        help_text,
        field.__class__,
        bool(field.required),
        bool(field.disabled),
        bool(field.show_hidden_initial),
        widget.__class__,
        getattr(widget, "input_type", None),
        widget.template_name,
        widget.use_fieldset,
        getattr(widget, "add_id_index", None),
        getattr(widget, "allow_multiple_selected", None),
        widget.use_required_attribute(bound.initial),
        tuple(attrs.items()),
        tuple(map(type, attrs.values())),
        language,
    )


class _Kept:
    """One field group's value-independent HTML, and how its widget is written per request."""

    __slots__ = ("attrs", "head", "how", "tail", "widget_head", "widget_tail")

    def __init__(self, head, how, widget_head="", widget_tail="", attrs=None, tail=""):
        self.head, self.how, self.tail = head, how, tail
        self.widget_head, self.widget_tail, self.attrs = widget_head, widget_tail, attrs


class _Recorder:
    """What ``BoundField.as_widget`` passes to the widget's ``render`` (name, attrs)."""

    def __init__(self):
        self.name = self.attrs = None

    def __call__(self, name, value, attrs=None, renderer=None):
        self.name, self.attrs = name, attrs
        return ""


class _Skeleton:
    """The HTML of a form's fields as its template wrote it, cut around the field groups:
    (text before, (field name, its HTML name, its kept group)) per field, then the text after
    the last."""

    __slots__ = ("parts", "tail")

    def __init__(self, parts: tuple, tail: str):
        self.parts, self.tail = parts, tail

    def write(self, renderer: FormRenderer, form: forms.BaseForm) -> str:
        html = []
        fields = form.fields
        for before, (name, html_name, kept) in self.parts:
            field = fields[name]
            html.append(before)
            html.append(renderer._group(kept, _Unbound(form, name, html_name), field.widget))
        html.append(self.tail)
        return "".join(html)


class _Unbound:
    """What writing a kept group reads of an unbound form's field (``BoundField.value`` and
    ``html_name``), without making the BoundField; the field's own if Django must write it."""

    __slots__ = ("form", "html_name", "name")

    def __init__(self, form: forms.BaseForm, name: str, html_name: str):
        self.form, self.name, self.html_name = form, name, html_name

    def value(self):
        # BoundField.value() of an unbound form: its initial value, prepared by the field.
        field = self.form.fields[self.name]
        return field.prepare_value(self.form.get_initial_for_field(field, self.name))

    def bound_field(self) -> BoundField:
        return self.form[self.name]


# Widgets' use_required_attribute(initial) that do not look at the initial value.
_REQUIRED_REGARDLESS = (Widget.use_required_attribute, forms.Select.use_required_attribute)


def form_fields_html(form: forms.BaseForm, render: Callable[[], str]) -> str:
    """What ``render()`` writes for ``form``'s fields, kept as a skeleton by the form's
    renderer where it can be (``FormRenderer.form_fields``)."""
    renderer = form.renderer
    if isinstance(renderer, FormRenderer):
        return renderer.form_fields(form, render)
    return render()


def _form_key(form: forms.BaseForm, renderer: FormRenderer) -> tuple | None:
    """What a form's kept skeleton depends on besides its values, for an unbound form of a
    ``SharedFieldsForm`` class (``cll/core/forms.py``: the same field objects for every
    instance in a language, never changed) without hidden fields; None for any other form.

    The fields themselves are in the key (compared by identity), so a form whose fields were
    replaced gets a skeleton of its own; the field groups are the renderer's kept ones, keyed
    on everything they show. The template may show nothing else of the form but whether it
    has errors, which an unbound form never has."""
    if (
        not getattr(form, "fields_shared", False)
        or form.is_bound
        or form.renderer is not renderer
        or not renderer._writes(_FIELD)
    ):
        return None
    fields = form.fields
    if any(field.widget.is_hidden for field in fields.values()):
        return None
    return (
        form.__class__,
        get_language(),
        form.prefix,
        form.auto_id,
        form.label_suffix,
        form.use_required_attribute,
        tuple(fields.items()),
    )


class FormRenderer(DjangoTemplates):
    """``FORM_RENDERER = "cll.core.formrender.FormRenderer"``: Django's templates renderer,
    with Django's own form templates written in Python (same HTML; rules in the module's
    docstring). Any other template — a widget's own, the admin's, allauth's — is Django's."""

    # Field groups kept (value-independent HTML), oldest dropped first.
    KEPT = 1024

    def __init__(self):
        super().__init__()
        # Template name → whether its writer may be used (checked once, on first use).
        self._usable: dict[str, bool] = {}
        # _field_key(...) → _Kept, or None where the group is written as Django's path goes.
        self._kept: dict[tuple, _Kept | None] = {}
        # _form_key(...) → _Skeleton, or None where the form's template is rendered.
        self._skeletons: dict[tuple, _Skeleton | None] = {}

    def render(self, template_name, context, request=None):
        if self._writes(template_name):
            if template_name == _FIELD:
                try:
                    html = self._field_group(context)
                except _Unsupported:
                    html = None
                if html is not None:
                    return html
            html = write(template_name, context)
            if html is not None:
                return html
        return super().render(template_name, context, request=request)

    def _writes(self, template_name: str) -> bool:
        """Whether the writer of ``template_name`` may be used (checked once, on first use)."""
        usable = self._usable.get(template_name)
        if usable is None:
            usable = self._usable[template_name] = self._check(template_name)
        return usable

    def _field_group(self, context: dict) -> str | None:
        """``field.html`` for a field without errors, from what is kept for fields like it
        (``_field_key``) and only its value written; None: ``_field`` writes it."""
        bound = context.get("field")
        if bound.__class__ is not BoundField:
            return None
        form = bound.form
        field = bound.field
        if form.renderer is not self or field.localize or bound.name in form.errors:
            return None
        widget = field.widget
        key = _field_key(bound, form, field, widget)
        if key is None:
            return None
        try:
            kept = self._kept.get(key, _ABSENT)
        except TypeError:  # an attribute's value that cannot be a key
            return None
        if kept is _ABSENT:
            kept = self._keep(key, bound, widget)
        if kept is None:
            return None
        return self._group(kept, bound, widget)

    def _group(self, kept: _Kept, bound: BoundField | _Unbound, widget) -> str:
        """A kept field group with this field's value written."""
        return (kept.head + self._widget(kept, bound, widget) + kept.tail).strip()

    # -- A whole unbound form whose fields are shared: its HTML kept, only the values written --

    def form_fields(self, form: forms.BaseForm, render: Callable[[], str]) -> str:
        """What ``render()`` gives (the page's template of ``form``'s fields), from the skeleton
        kept for forms like it when there is one: the template's output with each field group
        a slot, written per request with the field's value (``_Skeleton``)."""
        key = _form_key(form, self)
        if key is None:
            return render()
        skeleton = self._skeletons.get(key)
        if skeleton is not None:
            return skeleton.write(self, form)
        html = render()
        self._put(self._skeletons, key, self._skeleton(form, html))
        return html

    def _skeleton(self, form: forms.BaseForm, html: str) -> _Skeleton | None:
        """``html`` cut around ``form``'s field groups, each found where the template wrote it;
        None when a group is not one this renderer keeps, or is not found as it was written."""
        statics, slots = [], []
        at = 0
        for name, field in form.fields.items():
            bound = form[name]
            widget = field.widget
            key = _field_key(bound, form, field, widget)
            try:
                kept = self._kept.get(key) if key is not None else None
            except TypeError:  # an attribute's value that cannot be a key
                kept = None
            if (
                kept is None
                or kept.how == _AS_DJANGO
                or field.localize
                # Whether the widget writes "required" must not depend on the value.
                or type(widget).use_required_attribute not in _REQUIRED_REGARDLESS
            ):
                return None
            group = self._group(kept, bound, widget)
            start = html.find(group, at)
            if start < 0:
                return None
            statics.append(html[at:start])
            slots.append((name, bound.html_name, kept))
            at = start + len(group)
        return _Skeleton(tuple(zip(statics, slots, strict=True)), html[at:])

    def _keep(self, key: tuple, bound: BoundField, widget) -> _Kept | None:
        """Write, through Django's own code, what the field group of ``key`` has that does not
        depend on the field's value, and keep it."""
        try:
            kept = self._written(bound, widget)
        except _Unsupported:
            kept = None
        self._put(self._kept, key, kept)
        return kept

    def _put(self, store: dict, key: tuple, value) -> None:
        """Keep ``value`` in ``store``, dropping the oldest entries beyond ``KEPT``."""
        while len(store) >= self.KEPT:
            try:
                store.pop(next(iter(store)), None)
            except (StopIteration, RuntimeError):  # emptied or changed by another thread
                break
        store[key] = value

    def _written(self, bound: BoundField, widget) -> _Kept:
        for value in widget.attrs.values():
            # A value in a key by its type and equality, as it is written (a tuple of True is
            # equal to a tuple of 1, Decimal("1.0") to Decimal("1"): written otherwise).
            if value.__class__ not in _KEYED and not isinstance(value, Promise):
                raise _Unsupported
        head = _field_head(bound)
        tail = "</fieldset>\n" if bound.use_fieldset else "\n"
        kind = type(widget)
        straight_select = (kind.render.__module__, kind.render.__qualname__) == _STRAIGHT_SELECT
        if bound.field.show_hidden_initial or not (kind.render is Widget.render or straight_select):
            return _Kept(head, _AS_DJANGO, tail=tail)
        # The name and attrs Django's as_widget gives the widget (it renders nothing here).
        recorder = _Recorder()
        copy = copy_module.copy(widget)
        copy.render = recorder
        bound.as_widget(widget=copy)
        name, attrs = recorder.name, recorder.attrs
        template_name = widget.template_name
        if straight_select:
            return self._select(head, widget, name, attrs, tail)
        if not self._writes(template_name) or kind.build_attrs is not Widget.build_attrs:
            return _Kept(head, _AS_DJANGO, tail=tail)
        get_context = kind.get_context
        if template_name in _INPUT_TEMPLATES and get_context is Input.get_context:
            written = Input.get_context(widget, name, None, attrs)["widget"]
            return _Kept(
                head, _AS_INPUT, _input_head(written), _attrs(written["attrs"]) + ">", tail=tail
            )
        if template_name in _INPUT_TEMPLATES and get_context is forms.CheckboxInput.get_context:
            written = Input.get_context(widget, name, None, attrs)["widget"]
            if "checked" in written["attrs"]:
                return _Kept(head, _AS_CONTEXT, widget_head=name, attrs=attrs, tail=tail)
            return _Kept(
                head, _AS_CHECKBOX, _input_head(written), _attrs(written["attrs"]), tail=tail
            )
        if template_name == _W + "textarea.html" and get_context is Widget.get_context:
            written = Widget.get_context(widget, name, None, attrs)["widget"]
            return _Kept(head, _AS_TEXTAREA, _textarea_head(written), tail=tail)
        if isinstance(widget, forms.Select) and get_context is forms.Select.get_context:
            return self._select(head, widget, name, attrs, tail)
        if template_name in _INPUT_TEMPLATES:
            return _Kept(head, _AS_CONTEXT, widget_head=name, attrs=attrs, tail=tail)
        return _Kept(head, _AS_DJANGO, tail=tail)

    def _select(self, head: str, widget, name: str, attrs: dict, tail: str) -> _Kept:
        # Only the opening tag is kept: a form's choices may be its own (a person's orders),
        # written per request (a long fixed list is FixedChoices, its options kept there).
        return _Kept(head, _AS_SELECT, _select_head(widget, name, attrs), attrs=attrs, tail=tail)

    def _widget(self, kept: _Kept, bound: BoundField | _Unbound, widget) -> str:
        """The widget of a kept field group, with its value (Django's ``BoundField.value`` and
        the widget's own ``format_value``/``check_test``)."""
        how = kept.how
        try:
            if how == _AS_INPUT:
                value = widget.format_value(bound.value())
                return kept.widget_head + _input_value(value) + kept.widget_tail
            if how == _AS_TEXTAREA:
                value = widget.format_value(bound.value())
                return kept.widget_head + _textarea_value(value) + "</textarea>"
            if how == _AS_CHECKBOX:
                value = bound.value()
                checked = " checked>" if widget.check_test(value) else ">"
                written_value = _input_value(widget.format_value(value))
                return kept.widget_head + written_value + kept.widget_tail + checked
            if how == _AS_SELECT:
                html = select_html(
                    widget, bound.html_name, bound.value(), kept.attrs, kept.widget_head
                )
                if html is not None:
                    return html
            elif how == _AS_CONTEXT:
                context = widget.get_context(kept.widget_head, bound.value(), dict(kept.attrs))
                html = write(widget.template_name, context)
                if html is not None:
                    return html
        except _Unsupported:
            pass
        # Django's own writing of the widget, from the field's BoundField.
        return _text(bound.bound_field() if isinstance(bound, _Unbound) else bound)

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
