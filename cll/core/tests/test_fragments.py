"""Rendered fragments ({% fragment %}): rendered once per key, never carrying a per-request
value, retired by a content change, bounded."""

from __future__ import annotations

import logging
import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import engines
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation
from django.utils.csp import LazyNonce

from cll.core import fragments
from cll.core.pagecache import content_changed
from cll.courses.tests.factories import make_session

pytestmark = pytest.mark.django_db

RENDERS = []


def _render(source: str, **context) -> str:
    return engines["jinja2"].from_string(source).render({"count": _count, **context})


def _count() -> str:
    RENDERS.append(1)
    return str(len(RENDERS))


@pytest.fixture(autouse=True)
def _renders():
    RENDERS.clear()
    yield
    RENDERS.clear()


def test_it_renders_a_fragment_once_per_key():
    source = '{% fragment "demo", key %}[{{ count() }}]{% endfragment %}'
    assert _render(source, key=1) == "[1]"
    assert _render(source, key=1) == "[1]"  # kept: not rendered again
    assert _render(source, key=2) == "[2]"
    assert len(RENDERS) == 2


def test_it_keeps_one_version_per_language():
    source = '{% fragment "demo" %}{{ _("Home") }}{% endfragment %}'
    with translation.override("fr"):
        assert _render(source) == "Accueil"
    with translation.override("nl"):
        assert _render(source) == "Home"
    with translation.override("fr"):
        assert _render(source) == "Accueil"


def test_a_content_change_retires_every_fragment():
    source = '{% fragment "demo" %}[{{ count() }}]{% endfragment %}'
    assert _render(source) == "[1]"
    content_changed()
    assert _render(source) == "[2]"


def test_it_never_keeps_html_that_carries_a_per_request_value(caplog):
    # A CSRF field that is not this request's own {{ csrf_input }}: nothing can put it back.
    request = RequestFactory().get("/")
    body = '<input type="hidden" name="csrfmiddlewaretoken" value="abc">'
    source = '{% fragment "leaky" %}' + body + "{{ count() }}{% endfragment %}"
    with caplog.at_level(logging.ERROR, logger="cll.core.fragments"):
        first = _render(source, request=request)
        second = _render(source, request=request)
    assert first != second  # rendered again each time: never kept
    assert fragments.fragments_count() == 0
    assert "per-request value" in caplog.text


def test_it_keeps_at_most_the_configured_number_of_fragments(settings):
    settings.FRAGMENT_CACHE_ENTRIES = 3
    source = '{% fragment "demo", key %}{{ key }}{% endfragment %}'
    for key in range(10):
        _render(source, key=key)
    assert fragments.fragments_count() == 3


def test_a_session_card_follows_its_session(client, alice):
    client.force_login(alice)  # signed in: the page cache never answers, the page is rendered
    session = make_session(title="Morning English")
    url = reverse("courses:session_list")
    assert "Morning English" in client.get(url).content.decode()

    session.title_fr = "Anglais du soir"
    session.save()
    page = client.get(url).content.decode()
    assert "Anglais du soir" in page
    assert "Morning English" not in page


def test_the_catalogue_is_the_same_page_with_kept_fragments(client, alice):
    client.force_login(alice)
    for _ in range(3):
        make_session()
    url = reverse("courses:session_list") + "?level=A2"
    first = client.get(url).content.decode()
    assert fragments.fragments_count() >= 5  # nav, filters, three cards, footer
    again = client.get(url).content.decode()
    fragments.fragments_clear()
    fresh = client.get(url).content.decode()

    def without_nonce(html: str) -> str:
        return re.sub(r'nonce="[^"]+"', "", html)

    assert without_nonce(again) == without_nonce(fresh) == without_nonce(first)


def _page_request():
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    request.session = {}
    return request


def test_a_form_in_a_fragment_is_kept_with_each_request_s_own_csrf_field():
    source = (
        '{% fragment "form" %}<form method="post">{{ csrf_input }}[{{ count() }}]</form>'
        "{% endfragment %}"
    )
    pages, tokens = [], []
    for _ in range(3):
        request = _page_request()
        pages.append(engines["jinja2"].from_string(source).render({"count": _count}, request))
        # The field was asked for, as when the form is rendered: the CSRF cookie is sent.
        assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True
        tokens.append(re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', pages[-1])[1])
    assert len(RENDERS) == 1  # rendered once, kept
    assert len(set(tokens)) == 3  # each request its own (masked) token
    for page, token in zip(pages, tokens, strict=True):
        assert page == (
            '<form method="post"><input type="hidden" name="csrfmiddlewaretoken" '
            f'value="{token}">[1]</form>'
        )
    (kept,) = fragments._store.values()
    assert "csrfmiddlewaretoken" not in kept and fragments._CSRF_SLOT in kept


def test_a_fragment_that_prints_the_csrf_token_itself_is_never_kept(caplog):
    source = '{% fragment "token" %}<div data-token="{{ csrf_token }}"></div>{% endfragment %}'
    with caplog.at_level(logging.ERROR, logger="cll.core.fragments"):
        first = engines["jinja2"].from_string(source).render({}, _page_request())
        second = engines["jinja2"].from_string(source).render({}, _page_request())
    assert first != second
    assert fragments.fragments_count() == 0
    assert "per-request value" in caplog.text


def test_a_script_in_a_fragment_is_kept_with_each_response_s_own_nonce():
    source = (
        '{% fragment "script" %}<script nonce="{{ csp_nonce }}" src="/a.js"></script>'
        "[{{ count() }}]{% endfragment %}"
    )
    pages, nonces = [], []
    for _ in range(3):
        request = _page_request()
        request._csp_nonce = LazyNonce()  # as the CSP middleware sets it
        pages.append(engines["jinja2"].from_string(source).render({"count": _count}, request))
        assert request._csp_nonce  # asked for: the CSP header will carry it
        nonces.append(str(request._csp_nonce))
    assert len(RENDERS) == 1 and len(set(nonces)) == 3
    for page, nonce in zip(pages, nonces, strict=True):
        assert page == f'<script nonce="{nonce}" src="/a.js"></script>[1]'
    (kept,) = fragments._store.values()
    assert not any(nonce in kept for nonce in nonces) and fragments._NONCE_SLOT in kept


def test_a_fragment_with_a_form_and_scripts_gets_each_request_s_field_and_nonce_back():
    # Several markers of both kinds, between texts and side by side: each put back in place.
    source = (
        '{% fragment "both" %}<script nonce="{{ csp_nonce }}"></script><form>{{ csrf_input }}'
        '</form><script nonce="{{ csp_nonce }}"></script>[{{ count() }}]{% endfragment %}'
    )
    for _ in range(3):
        request = _page_request()
        request._csp_nonce = LazyNonce()
        page = engines["jinja2"].from_string(source).render({"count": _count}, request)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
        nonce = str(request._csp_nonce)
        assert page == (
            f'<script nonce="{nonce}"></script><form><input type="hidden" '
            f'name="csrfmiddlewaretoken" value="{token}"></form>'
            f'<script nonce="{nonce}"></script>[1]'
        )
        assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True
    assert len(RENDERS) == 1


def test_a_fragment_without_a_per_request_value_is_kept_as_its_text():
    assert _render('{% fragment "plain" %}<p>[{{ count() }}]</p>{% endfragment %}') == "<p>[1]</p>"
    (kept,) = fragments._store.values()
    assert type(kept) is str and kept == "<p>[1]</p>"
    assert _render('{% fragment "plain" %}<p>[{{ count() }}]</p>{% endfragment %}') == "<p>[1]</p>"
