"""Pages in Jinja2 print what Django's template language printed (cll/core/jinja.py), their
messages are found by makemessages, and a page in Django's language still gets the frame."""

from __future__ import annotations

import datetime as dt
import gettext
import zoneinfo
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template, defaultfilters, engines
from django.test import RequestFactory
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from cll.core import fragments
from cll.core import jinja as jinja_module
from cll.core.jinja import current_year
from cll.core.management.commands.makemessages import jinja_messages, jinja_to_python

ROOT = Path(settings.BASE_DIR)


def jinja(source: str, **values) -> str:
    return engines["jinja2"].from_string(source).render(values)


def django(source: str, **values) -> str:
    return Template(source).render(Context(values))


@pytest.mark.parametrize(
    "value",
    [
        'l\'Université <b>&</b> "quotes"',
        Decimal("1390.5"),
        1.25,
        12345,
        None,
        True,
        dt.date(2026, 12, 6),
        dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC),
    ],
)
@pytest.mark.parametrize("language", ["fr", "en", "nl"])
def test_a_value_prints_as_in_djangos_language(value, language):
    with translation.override(language), timezone.override("Europe/Brussels"):
        assert jinja("{{ value }}", value=value) == django("{{ value }}", value=value)


@pytest.mark.parametrize("language", ["fr", "nl"])
def test_dates_are_formatted_in_local_time_as_django_does(language):
    moment = dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC)
    with translation.override(language), timezone.override("Europe/Brussels"):
        ours = jinja('{{ m|date("DATETIME_FORMAT") }} {{ m|time("H:i") }}', m=moment)
        theirs = django('{{ m|date:"DATETIME_FORMAT" }} {{ m|time:"H:i" }}', m=moment)
    assert ours == theirs
    assert "14:00" in ours  # Brussels summer time, not UTC


DATES = [
    dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC),
    dt.datetime(2026, 7, 1, 14, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Brussels")),  # same instant
    dt.datetime(2026, 12, 6, 23, 30, tzinfo=dt.UTC),  # another day in Brussels
    dt.datetime(2026, 10, 25, 2, 30),  # naive, in the hour that comes twice
    dt.datetime(2026, 10, 25, 2, 30, fold=1),
    dt.date(2026, 12, 6),
    None,
    "",
]


def test_kept_dates_are_djangos_in_every_language_zone_and_format():
    formats = ["DATETIME_FORMAT", "j F Y, U", "SHORT_DATETIME_FORMAT"]
    date_formats = ["DATE_FORMAT", "j F Y", "SHORT_DATE_FORMAT"]
    for _ in range(2):  # made, then kept
        for language in ["fr", "en", "nl"]:
            for zone in ["Europe/Brussels", "America/New_York"]:
                with translation.override(language), timezone.override(zone):
                    for moment in DATES:
                        is_day = type(moment) is dt.date
                        for form in date_formats if is_day else formats:
                            ours = jinja("{{ m|date(f) }}", m=moment, f=form)
                            theirs = django("{{ m|date:f }}", m=moment, f=form)
                            assert ours == theirs, (language, zone, moment, form)
                        if not is_day:
                            ours = jinja('{{ m|time("H:i T") }}', m=moment)
                            assert ours == django('{{ m|time:"H:i T" }}', m=moment)


def test_a_kept_date_is_formatted_once(monkeypatch):
    moment = dt.datetime(2026, 3, 1, 9, 15, tzinfo=dt.UTC)
    formatted = []
    original = defaultfilters.date
    monkeypatch.setattr(defaultfilters, "date", lambda *a: formatted.append(a) or original(*a))
    with translation.override("fr"), timezone.override("Europe/Brussels"):
        first = jinja_module._date(moment, "DATETIME_FORMAT")
        assert jinja_module._date(moment, "DATETIME_FORMAT") == first
        with timezone.override("Asia/Tokyo"):
            assert jinja_module._date(moment, "DATETIME_FORMAT") != first
    assert len(formatted) == 2  # once per time zone
    # A value that cannot be kept (not hashable) is formatted as Django formats it.
    assert jinja_module._date([moment], "Y") == original([moment], "Y")


@pytest.mark.parametrize("language", ["fr", "en", "nl"])
def test_translations_are_those_of_djangos_tags_with_their_values_escaped(language):
    name = "<Ann & Bob's>"
    with translation.override(language):
        assert jinja('{{ _("Skip to main content") }}') == django(
            '{% load i18n %}{% translate "Skip to main content" %}'
        )
        ours = jinja("{% trans number=n %}\n  Company number {{ number }}\n{% endtrans %}", n=name)
        theirs = django(
            "{% load i18n %}{% blocktranslate trimmed with number=n %}\n  Company number "
            "{{ number }}\n{% endblocktranslate %}",
            n=name,
        )
        assert ours == theirs
        assert "&lt;Ann &amp; Bob&#x27;s&gt;" in ours
        for count in (1, 3):
            ours = jinja("{% trans count=n %}seat{% pluralize count %}seats{% endtrans %}", n=count)
            theirs = django(
                "{% load i18n %}{% blocktranslate count count=n trimmed %}seat{% plural %}seats"
                "{% endblocktranslate %}",
                n=count,
            )
            assert ours == theirs


FIXED_TEXTS = '{{ _("Skip to main content") }}|{% trans %}Menu{% endtrans %}|{{ gettext("Home") }}'


def test_a_fixed_text_is_compiled_to_one_call():
    env = engines["jinja2"].env
    assert env.compile(FIXED_TEXTS, raw=True).count("environment.static_text(context, ") == 3
    # Not a text with values, a variable, nor a name the template gives another meaning.
    for source in (
        '{{ _("Company number %(number)s", number=n) }}',
        "{{ _(message) }}",
        '{% set _ = shout %}{{ _("Menu") }}',
        '{% macro m(gettext) %}{{ gettext("Menu") }}{% endmacro %}{{ m(shout) }}',
        '{% for _ in items %}{{ _("Menu") }}{% endfor %}',
    ):
        assert "static_text" not in env.compile(source, raw=True), source
    assert jinja('{% set _ = shout %}{{ _("Menu") }}', shout=str.upper) == "MENU"


def test_a_fixed_text_is_the_translation_of_each_language_as_the_function_writes_it():
    # The same texts through Jinja2's call of the function (a local name for it is not fixed).
    through_call = "{% set t = _ %}{% set g = gettext %}" + (
        FIXED_TEXTS.replace("_(", "t(")
        .replace("gettext(", "g(")
        .replace("{% trans %}Menu{% endtrans %}", '{{ g("Menu") }}')
    )
    seen = set()
    for language in ["fr", "en", "nl", "fr", "nl", "en"]:
        with translation.override(language):
            ours = jinja(FIXED_TEXTS + '|{{ _("100%% sure") }}')
            assert ours == jinja(through_call + '|{{ t("100%% sure") }}')
            assert ours.endswith("|100% sure")
            seen.add(ours)
    assert len(seen) == 3  # each language its own
    with translation.override("nl"):
        assert jinja('{{ _("Skip to main content") }}') == django(
            '{% load i18n %}{% translate "Skip to main content" %}'
        )


def test_safe_html_put_into_a_translation_is_not_escaped_twice():
    link = mark_safe('<a href="/fr/">x</a>')
    with translation.override("en"):
        ours = jinja("{% trans number=link %}Company number {{ number }}{% endtrans %}", link=link)
        theirs = django(
            "{% load i18n %}{% blocktranslate with number=link %}Company number {{ number }}"
            "{% endblocktranslate %}",
            link=link,
        )
    assert ours == theirs == 'Company number <a href="/fr/">x</a>'


def test_a_missing_value_prints_nothing_as_in_djangos_language():
    assert jinja("[{{ missing }}|{{ missing.attribute.deeper }}|{{ d.nope }}]", d={}) == "[||]"
    assert django("[{{ missing }}|{{ missing.attribute.deeper }}|{{ d.nope }}]", d={}) == "[||]"


def test_printing_a_method_instead_of_its_result_is_an_error():
    class Order:
        def get_status_display(self):
            return "Paid"

    assert jinja("{{ o.get_status_display() }}", o=Order()) == "Paid"
    with pytest.raises(TypeError, match="call it"):
        jinja("{{ o.get_status_display }}", o=Order())


@pytest.mark.django_db
def test_a_fragment_is_rendered_once_per_key():
    calls = []
    source = '{% fragment "demo", item %}{{ count(item) }}{% endfragment %}'

    def count(item):
        calls.append(item)
        return f"<{item}>"

    fragments.fragments_clear()
    assert jinja(source, item=1, count=count) == "&lt;1&gt;"
    assert jinja(source, item=1, count=count) == "&lt;1&gt;"
    assert jinja(source, item=2, count=count) == "&lt;2&gt;"
    assert calls == [1, 2]


@pytest.mark.django_db
def test_a_fragment_showing_the_csrf_field_keeps_it_out_of_what_is_kept():
    # The form is kept; its CSRF field is each request's own (cll/core/fragments.py).
    source = '{% fragment "form" %}{{ csrf_input }}{% endfragment %}'
    template = engines["jinja2"].from_string(source)
    fragments.fragments_clear()
    first = template.render({}, RequestFactory().get("/"))
    second = template.render({}, RequestFactory().get("/"))
    assert "csrfmiddlewaretoken" in first and "csrfmiddlewaretoken" in second
    assert first != second  # two requests, two tokens
    assert fragments.fragments_count() == 1
    assert "csrfmiddlewaretoken" not in next(iter(fragments._store.values()))


def test_makemessages_reads_each_message_on_its_line():
    source = (
        "<p>{{ _('One') }}</p>\n"
        "{% trans name=x %}\n  Hello\n  {{ name }}\n{% endtrans %}\n"
        "{% trans count=n %}a seat{% pluralize count %}{{ count }} seats{% endtrans %}"
        "{{ pgettext('month', 'May') }}\n"
    )
    lines = jinja_to_python(source, "demo.html").splitlines()
    assert lines[0] == "gettext('One')"
    assert lines[1] == "gettext('Hello %(name)s')"
    assert lines[5] == "ngettext('a seat', '%(count)s seats', n); pgettext('month', 'May')"


def test_every_message_of_the_pages_is_in_the_catalogues():
    # What makemessages would collect from jinja2/ is already translated: nothing was lost in
    # the move from Django's tags (tests/test_translations.py checks the catalogues are full).
    with (ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.mo").open("rb") as file:
        catalogue = gettext.GNUTranslations(file)._catalog
    known = {key[0] if isinstance(key, tuple) else key for key in catalogue}
    missing = []
    for page in (ROOT / "jinja2").rglob("*.html"):
        for _line, function, strings in jinja_messages(page.read_text(), str(page)):
            context = f"{strings[0]}\x04" if function in {"pgettext", "npgettext"} else ""
            message = strings[1] if context else strings[0]
            if context + message not in known:
                missing.append((page.relative_to(ROOT).as_posix(), message))
    assert missing == []


@pytest.mark.django_db
def test_a_page_in_djangos_language_gets_the_site_frame():
    # allauth's own pages (here: signing in with a code) extend templates/base.html, which puts
    # their blocks into the Jinja2 frame.
    page = Template(
        '{% extends "base.html" %}{% block title %}Demo title{% endblock %}'
        "{% block content %}<p>Demo body</p>{% endblock %}"
    )
    request = RequestFactory().get("/fr/")
    request.user = type("Anonymous", (), {"is_authenticated": False, "is_staff": False})()
    request.COOKIES = {}
    with translation.override("fr"):
        html = page.render(Context({"request": request}))
    assert "<title>Demo title · CLL Centres de Langues</title>" in html
    assert "<p>Demo body</p>" in html
    assert 'class="site-header"' in html
    assert 'class="site-footer"' in html


@pytest.mark.parametrize(
    ("moment", "year"),
    [
        (dt.datetime(2026, 12, 31, 22, 59, 59, tzinfo=dt.UTC), 2026),
        # Midnight in Brussels is 23:00 UTC in winter: the new year there already.
        (dt.datetime(2026, 12, 31, 23, 0, 0, tzinfo=dt.UTC), 2027),
        (dt.datetime(2024, 6, 1, tzinfo=dt.UTC), 2024),
        (dt.datetime(2026, 12, 31, 22, 59, 59, tzinfo=dt.UTC), 2026),
    ],
)
def test_the_footer_year_is_the_year_in_the_sites_time_zone(moment, year, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: moment)
    assert current_year() == year
    assert jinja("{{ current_year() }}") == str(year)
