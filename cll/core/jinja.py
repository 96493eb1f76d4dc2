"""Pages are written in Jinja2: the engine, its environment and the helpers every page has.

Why: a rendered page (every signed-in page, every cache miss) spent 65-80 % of its time in
Django's template language, which walks a tree of nodes and resolves each variable through
several lookups on every request; Jinja2 compiles a template to Python code once
(``bench/profile_page.py``, docs/benchmarks.md). The project's pages are in ``jinja2/``; Django's
template language remains for what third parties render with their own tags (allauth's pages we
do not override, the admin) and for e-mails (``templates/``).

What a page has (see CONTRIBUTING, "Writing a page"):

- the context of a Django template: ``request``, ``csrf_input``, ``csrf_token`` and the context
  processors of ``settings.TEMPLATES`` (``user``, ``messages``, ``csp_nonce``, ``organisation``,
  ``LANGUAGE_CODE``...); the view's own values win over a processor's, as in Django's language;
- translations: ``{{ _("Text") }}``, ``{{ _("Hello %(name)s", name=x) }}`` and
  ``{% trans count=n %}one{% pluralize %}{{ count }} items{% endtrans %}`` (always trimmed):
  the same message ids as ``{% translate %}``/``{% blocktranslate trimmed %}``, found by
  ``manage.py makemessages`` (``cll/core/management/commands/makemessages.py``). Translations
  are trusted text; the values put in them are escaped;
- ``url(name, *args, **kwargs)``, ``optional_url(...)`` (``""`` when no route has the name),
  ``static(path)``, ``now(format)``, ``querystring(**changes)``, ``field_rows(form)`` (a form's
  visible fields, each with whether it has errors and its widget type: ``formrender.py``);
- Django's filters under their usual names with their usual meaning (``date``, ``time``,
  ``linebreaksbr``, ``floatformat``, ``yesno``...); ``default`` is Jinja's (``|default(x,
  true)`` for Django's "if false");
- ``{% fragment "name", value, ... %}…{% endfragment %}``: HTML kept per key (``fragments.py``);
- each app's own helpers: the ``GLOBALS``, ``FILTERS`` and ``TESTS`` of its ``jinja.py`` module
  (found by app, as Django finds ``templatetags``: no import from this layer to a feature app).

Methods are called explicitly (``order.get_status_display()``); printing a method instead of
its result is an error, not a silent ``<bound method ...>``.
"""

from __future__ import annotations

import datetime
import functools
import importlib.util
import inspect
from collections.abc import Callable, Hashable
from functools import partial
from html import escape as _html_escape
from typing import Any

import jinja2
from django.apps import apps
from django.core.signals import setting_changed
from django.template import defaultfilters
from django.template.backends.jinja2 import Jinja2, Origin, get_exception_info
from django.template.exceptions import TemplateSyntaxError
from django.templatetags.static import static as _static
from django.urls import NoReverseMatch, reverse
from django.utils import dateformat, timezone
from django.utils.formats import localize
from django.utils.functional import SimpleLazyObject
from django.utils.html import conditional_escape
from django.utils.timezone import get_current_timezone, template_localtime
from django.utils.translation import (
    get_language,
    get_language_info,
    ngettext,
    npgettext,
    pgettext,
)
from jinja2 import nodes
from jinja2.compiler import CodeGenerator
from jinja2.ext import Extension
from jinja2.idtracking import VAR_LOAD_RESOLVE
from markupsafe import Markup

from cll.core.csrf import page_input, page_token
from cll.core.formrender import field_rows, form_fields_html
from cll.core.fragments import (
    fragment_get_or_render,
    fragment_key,
    fragment_nonce,
    fragment_secrets,
)
from cll.core.texts import kept, translated


class Engine(Jinja2):
    """Django's Jinja2 backend with Django's context precedence and test instrumentation."""

    # Django's backend, with its errors; only the Template wrapper is ours.
    def from_string(self, template_code):
        return Template(super().from_string(template_code).template, self)

    def get_template(self, template_name):
        return Template(super().get_template(template_name).template, self)


class Template:
    def __init__(self, template: jinja2.Template, backend: Engine):
        self.template = template
        self.backend = backend
        self.name = template.name
        self.origin = Origin(name=template.filename, template_name=self.name)

    def render(self, context: dict | None = None, request=None) -> str:
        values: dict[str, Any] = {}
        if request is not None:
            values["request"] = request
            # One token per page, as Django's {% csrf_token %} (a lazy value evaluated once).
            values["csrf_input"] = SimpleLazyObject(partial(page_input, request))
            values["csrf_token"] = SimpleLazyObject(partial(page_token, request))
            for context_processor in self.backend.template_context_processors:
                values.update(context_processor(request))
        if context:
            values.update(context)  # the view's values win, as in Django's template language
        try:
            return self._render(values)
        except jinja2.TemplateSyntaxError as exc:
            new = TemplateSyntaxError(exc.args)
            new.template_debug = get_exception_info(exc)
            raise new from exc

    def _render(self, values: dict[str, Any]) -> str:
        # Replaced in tests (conftest.py) to send Django's template_rendered
        # signal, so that the test client's response.context and .templates work.
        return self.template.render(values)


# -- The environment ---------------------------------------------------------------------------


def environment(**options) -> jinja2.Environment:
    options.setdefault("extensions", []).extend(["jinja2.ext.i18n", FragmentExtension])
    options["finalize"] = _finalize
    # As Django's language: a missing value prints nothing and its attributes are missing too,
    # rather than an error page (calling a missing method still fails).
    options["undefined"] = jinja2.ChainableUndefined
    env = _Environment(**options)  # autoescape is on: Django's backend sets it
    env.globals.update(
        _=_gettext,
        gettext=_gettext,
        ngettext=_ngettext,
        pgettext=_pgettext,
        npgettext=_npgettext,
        url=url,
        optional_url=optional_url,
        static=static,
        now=now,
        current_year=current_year,
        querystring=querystring,
        field_rows=field_rows,
        form_fields=form_fields,
        get_language=get_language,
        get_language_info=get_language_info,
    )
    env.newstyle_gettext = True  # {% trans %} blocks call the functions above with their values
    env.policies["ext.i18n.trimmed"] = True
    env.filters.update(DJANGO_FILTERS)
    for module in _app_modules():
        env.globals.update(getattr(module, "GLOBALS", {}))
        env.filters.update(getattr(module, "FILTERS", {}))
        env.tests.update(getattr(module, "TESTS", {}))
    return env


class _CodeGenerator(CodeGenerator):
    """Jinja2's code generator, with a text of the site's own written as one call: where a
    template has ``_("Text")`` or ``gettext("Text")`` (a literal and nothing else, the
    site's function: not a name the template assigns), or a ``{% trans %}`` block without
    values, the compiled code calls ``environment.static_text(context, "Text")``, which keeps
    the result per language, instead of going through ``Context.call`` and ``_gettext``
    (~9 µs each on the reference machine, 15 on the profile page, 30 on a legal page)."""

    def visit_Call(self, node, frame, **kwargs):
        if not kwargs.get("forward_caller") and _is_static_text(node, frame):
            self.write("environment.static_text(context, ")
            self.visit(node.args[0], frame)
            self.write(")")
            return
        super().visit_Call(node, frame, **kwargs)


def _is_static_text(node: nodes.Call, frame) -> bool:
    name = node.node
    if not (
        isinstance(name, nodes.Name)
        and name.name in _STATIC_TEXT_FUNCTIONS
        and len(node.args) == 1
        and isinstance(node.args[0], nodes.Const)
        and type(node.args[0].value) is str
        and not node.kwargs
        and node.dyn_args is None
        and node.dyn_kwargs is None
    ):
        return False
    # The name read from the context (the environment's global), not one the template sets.
    ref = frame.symbols.find_ref(name.name)
    return ref is not None and frame.symbols.find_load(ref) == (VAR_LOAD_RESOLVE, name.name)


_STATIC_TEXT_FUNCTIONS = {"_", "gettext"}


class _Environment(jinja2.Environment):
    """Jinja2's environment, each template's globals one dict rather than a ``ChainMap`` over
    the environment's: every render and include copies them into its context, and copying a
    ``ChainMap`` (Python code per key) cost ~13 µs each time, four times a page. Globals are
    all set before the first template loads (Jinja2 asks not to change them after). Its code
    generator writes the site's fixed texts as one call each (``_CodeGenerator``)."""

    code_generator_class = _CodeGenerator

    def make_globals(self, d):
        return {**self.globals, **(d or {})}

    @staticmethod
    def static_text(context, message: str) -> Markup:
        """``_gettext(context, message)`` without values: kept per language."""
        language = _page_language(context)
        try:
            return _static_texts[(language, message)]
        except KeyError:
            return kept(
                _static_texts, (language, message), lambda: _fill(translated(message, language), {})
            )


# (language, message) → its translation as the page writes it. Bounded as cll/core/texts.py's.
_static_texts: dict[tuple[str, str], Markup] = {}


def _app_modules():
    # Each installed app may declare helpers in its own ``jinja`` module; found by name at
    # start-up, like Django's templatetags libraries.
    for config in apps.get_app_configs():
        name = f"{config.name}.jinja"
        if importlib.util.find_spec(name) is not None:
            yield importlib.import_module(name)


def _finalize(value):
    """What ``{{ value }}`` prints, exactly as Django's language prints it: text escaped the
    same way (``&#x27;``), dates in the active time zone, numbers and dates localised; a method
    printed instead of its result is an error."""
    if type(value) is str:
        # Django's escape() is html.escape (``&#x27;``) behind a lazy-string wrapper.
        return Markup(_html_escape(value))  # noqa: S704 (escaped just now)
    if hasattr(value, "__html__") or type(value) is int:
        return value
    if inspect.ismethod(value) or inspect.isfunction(value) or inspect.isbuiltin(value):
        raise TypeError(
            f"A template printed {value!r} instead of its result: call it, e.g. "
            "order.get_status_display()."
        )
    return render_value(value)


def render_value(value) -> str:
    """A value as Django's templates print it: localised, in local time, escaped unless it is
    already safe HTML (``render_value_in_context``)."""
    return conditional_escape(localize(template_localtime(value)))


# -- Translations ------------------------------------------------------------------------------
# Translations are trusted text (the site's own catalogues) and are not escaped; the values put
# into them are, as {% blocktranslate %} does. Message ids are those of Django's tags.


def _fill(text: str, values: dict[str, Any]) -> Markup:
    return Markup(text % {name: render_value(value) for name, value in values.items()})  # noqa: S704


@jinja2.pass_context
def _gettext(context, message: str, **values) -> Markup:
    return _fill(_translated(context, message), values)


def _translated(context, message: str) -> str:
    return translated(message, _page_language(context))


def _page_language(context) -> str | None:
    """The page's language, as its translations and fragments read it: the i18n context
    processor's (or the page's own ``LANGUAGE_CODE``), else the active one."""
    return context.get("LANGUAGE_CODE") or get_language()


def _ngettext(singular: str, plural: str, number: int, **values) -> Markup:
    values.setdefault("num", number)
    return _fill(ngettext(singular, plural, number), values)


def _pgettext(context: str, message: str, **values) -> Markup:
    return _fill(pgettext(context, message), values)


def _npgettext(context: str, singular: str, plural: str, number: int, **values) -> Markup:
    values.setdefault("num", number)
    return _fill(npgettext(context, singular, plural, number), values)


# -- Globals -----------------------------------------------------------------------------------


def url(name: str, *args, **kwargs) -> str:
    """``reverse()``; an address without arguments is kept per language."""
    if args or kwargs:
        return reverse(name, args=args or None, kwargs=kwargs or None)
    return _plain_url(name, get_language())


def optional_url(name: str, *args, **kwargs) -> str:
    """``url()``, or ``""`` when no route has that name (a page of an app that may not be
    installed: the link is left out), as ``{% url ... as var %}`` did."""
    try:
        return url(name, *args, **kwargs)
    except NoReverseMatch:
        return ""


@functools.lru_cache(maxsize=2048)
def _plain_url(name: str, language: str | None) -> str:
    return reverse(name)


@functools.lru_cache(maxsize=1024)
def static(path: str) -> str:
    return _static(path)


def now(format_string: str) -> str:
    return dateformat.format(timezone.localtime(timezone.now()), format_string)


def current_year() -> int:
    """This year in the current time zone (every page's footer shows it): worked out once a
    year (per time zone), then compared with the clock."""
    zone = timezone.get_current_timezone()
    now = timezone.now()
    year, since, until = _years.get(zone, (0, 0.0, 0.0))
    if not since <= now.timestamp() < until:
        year = timezone.localtime(now, zone).year
        since = datetime.datetime(year, 1, 1, tzinfo=zone).timestamp()
        until = datetime.datetime(year + 1, 1, 1, tzinfo=zone).timestamp()
        _years[zone] = (year, since, until)
    return year


# Time zone → (the current year there, when it began and when it ends as Unix times).
_years: dict[Any, tuple[int, float, float]] = {}


@jinja2.pass_context
def querystring(context, **changes) -> str:
    """The current query string with ``changes`` (None removes a key), as ``{% querystring %}``."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    query = params.urlencode()
    return f"?{query}" if query else "?"


@jinja2.pass_context
def form_fields(context, form) -> Markup:
    """A form's fields as ``forms/fields.html`` writes them; for a form whose fields are
    shared, kept as a skeleton with only the values written (``cll.core.formrender``)."""

    def render() -> str:
        template = context.environment.get_template("forms/fields.html")
        return template.render(form=form, LANGUAGE_CODE=context.get("LANGUAGE_CODE"))

    return Markup(form_fields_html(form, render))  # noqa: S704 (the template's, autoescaped)


def _on_setting_changed(**kwargs) -> None:
    # Tests that change the URLconf, the languages or the static files get fresh addresses;
    # tests that change the translations' settings, fresh texts.
    _plain_url.cache_clear()
    static.cache_clear()
    _static_texts.clear()
    _dates.clear()


setting_changed.connect(_on_setting_changed, dispatch_uid="cll.core.jinja")


# -- Django's filters, with Django's meaning ---------------------------------------------------


def _date(value, arg=None):
    return _formatted(defaultfilters.date, value, arg)


def _time(value, arg=None):
    return _formatted(defaultfilters.time, value, arg)


def _formatted(django_filter, value, arg):
    """Django's ``date`` or ``time`` filter, after converting to the active time zone as
    Django does for these two (``expects_localtime``); the result kept per value (its class
    and fold too), format, language and time zone: Django's formatting cost ~80 µs a date on
    the reference machine, and a list shows dozens (the same dates on every request). The
    keys are moments and formats, nothing that names a person."""
    key = (
        django_filter,
        value.__class__,
        value,
        getattr(value, "fold", None),
        arg,
        get_language(),
        get_current_timezone(),
    )
    try:
        return _dates[key]
    except KeyError:
        return kept(_dates, key, lambda: django_filter(template_localtime(value), arg))
    except TypeError:  # a value that cannot be a key (not hashable): formatted each time
        return django_filter(template_localtime(value), arg)


# (filter, the value's class, the value, its fold, format, language, time zone) → the text.
_dates: dict[tuple, str] = {}


DJANGO_FILTERS: dict[str, Callable] = {
    "date": _date,
    "time": _time,
    "linebreaksbr": defaultfilters.linebreaksbr,
    "linebreaks": defaultfilters.linebreaks_filter,
    "truncatechars": defaultfilters.truncatechars,
    "floatformat": defaultfilters.floatformat,
    "capfirst": defaultfilters.capfirst,
    "urlize": defaultfilters.urlize,
    "stringformat": defaultfilters.stringformat,
    "default_if_none": defaultfilters.default_if_none,
    "yesno": defaultfilters.yesno,
    "filesizeformat": defaultfilters.filesizeformat,
    "add": defaultfilters.add,
    "urlencode": defaultfilters.urlencode,
}


# -- {% fragment %} ----------------------------------------------------------------------------


class FragmentExtension(Extension):
    """``{% fragment "session-card", session.pk, session.updated_at %}…{% endfragment %}``: the
    body rendered once per key and kept (rules: ``cll/core/fragments.py``)."""

    tags = {"fragment"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        values = [parser.parse_expression()]
        while parser.stream.current.type != "block_end":
            parser.stream.skip_if("comma")
            values.append(parser.parse_expression())
        body = parser.parse_statements(("name:endfragment",), drop_needle=True)
        call = self.call_method("_render", [nodes.ContextReference(), nodes.List(values)])
        return nodes.CallBlock(call, [], [], body).set_lineno(lineno)

    @staticmethod
    def _render(context, values: list[Hashable], caller) -> Markup:
        name, *shown = values
        request = context.get("request")
        html = fragment_get_or_render(
            fragment_key(name, shown, _page_language(context)),
            lambda: str(caller()),
            secrets=lambda: fragment_secrets(context.get("csrf_token")),
            csrf_input=context.get("csrf_input"),
            nonce=fragment_nonce(request),
        )
        return Markup(html)  # noqa: S704 (the body's own, autoescaped output)
