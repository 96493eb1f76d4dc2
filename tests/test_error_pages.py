"""Error pages as visitors see them (styled, in their language), the favicon, the error log,
and the README's run command showing them rather than Django's debug pages."""

from __future__ import annotations

import io
import logging
import os
import re
import subprocess
from pathlib import Path

import pytest
from django.conf.urls.i18n import i18n_patterns
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.test import Client, override_settings
from django.urls import path

from cll import urls as site_urls
from cll.core import views as core_views
from tests.test_configuration import load_settings

ROOT = Path(__file__).resolve().parent.parent
RUN_SH = ROOT / "scripts" / "run.sh"


def _forbidden(request):
    raise PermissionDenied("not for you")


def _boom(request):
    raise RuntimeError("secret internal detail")


# The site's own addresses and error handlers, plus two pages that fail on purpose.
urlpatterns = [
    *site_urls.urlpatterns,
    *i18n_patterns(path("test-forbidden/", _forbidden), path("test-boom/", _boom)),
]
handler400 = site_urls.handler400
handler403 = site_urls.handler403
handler404 = site_urls.handler404
handler500 = site_urls.handler500

TITLES = {
    404: {"fr": "Page introuvable", "en": "Page not found", "nl": "Pagina niet gevonden"},
    403: {"fr": "Accès refusé", "en": "Access denied", "nl": "Toegang geweigerd"},
    500: {
        "fr": "Un problème est survenu",
        "en": "Something went wrong",
        "nl": "Er is iets misgegaan",
    },
}


def assert_styled_error_page(response, status: int, language: str) -> None:
    assert response.status_code == status
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    assert f"<h1>{TITLES[status][language]}</h1>" in html
    # The site's frame: its stylesheet, header, navigation and footer.
    assert 'rel="stylesheet"' in html and "css/site.css" in html
    assert 'class="site-header"' in html and 'class="site-footer"' in html
    for debug_text in ("Traceback", "URLconf", "secret internal detail", "Django"):
        assert debug_text not in html


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["fr", "en", "nl"])
def test_it_shows_the_styled_404_in_the_language_of_the_address(client, language):
    response = client.get(f"/{language}/no-such-page/")

    assert_styled_error_page(response, 404, language)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("accept", "language"), [("fr-BE", "fr"), ("en-GB", "en"), ("nl-BE", "nl")]
)
def test_it_shows_the_styled_404_in_the_browser_language_without_a_prefix(client, accept, language):
    response = client.get("/no-such-page/", headers={"accept-language": accept})

    assert_styled_error_page(response, 404, language)


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__, DEBUG=False)
@pytest.mark.parametrize("language", ["fr", "en", "nl"])
def test_it_shows_the_styled_403_and_500_in_the_visitors_language(language):
    client = Client(raise_request_exception=False)

    assert_styled_error_page(client.get(f"/{language}/test-forbidden/"), 403, language)
    assert_styled_error_page(client.get(f"/{language}/test-boom/"), 500, language)


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__, DEBUG=False)
@pytest.mark.parametrize("language", ["fr", "en", "nl"])
def test_it_still_answers_a_translated_500_when_the_full_error_page_fails(monkeypatch, language):
    def frame_fails(*args, **kwargs):
        raise DatabaseError("the database is down")

    # The frame of every page (header, banners) fails to render, as in a database outage.
    monkeypatch.setattr(core_views, "render", frame_fails)
    client = Client(raise_request_exception=False)

    response = client.get(f"/{language}/test-boom/")

    assert response.status_code == 500
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    assert f"<h1>{TITLES[500][language]}</h1>" in html
    assert "css/site.css" in html
    for debug_text in ("Traceback", "database is down", "secret internal detail"):
        assert debug_text not in html


@pytest.fixture
def console_log():
    """What the configured console handler writes (the one every server process logs to)."""
    handler = next(
        h
        for h in logging.getLogger("django").handlers
        if isinstance(h, logging.StreamHandler) and h.filters
    )
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    try:
        yield buffer
    finally:
        handler.setStream(previous)


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__, DEBUG=False)
def test_it_logs_a_403_on_one_line_and_a_500_with_its_traceback(console_log):
    client = Client(raise_request_exception=False)

    client.get("/en/test-forbidden/")
    forbidden = console_log.getvalue()
    console_log.seek(0)
    console_log.truncate()
    client.get("/en/test-boom/")
    boom = console_log.getvalue()

    assert "Forbidden (Permission denied): /en/test-forbidden/" in forbidden
    assert forbidden.count("\n") == 1
    assert "Traceback" not in forbidden
    assert "Internal Server Error: /en/test-boom/" in boom
    assert "Traceback (most recent call last)" in boom
    assert "RuntimeError: secret internal detail" in boom


@pytest.mark.django_db
def test_it_serves_the_favicon_at_the_root_and_links_it(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    body = b"".join(response.streaming_content)
    # An icon file ("\0\0\1\0") holding the 16, 32 and 48 pixel images.
    assert body[:4] == b"\x00\x00\x01\x00" and int.from_bytes(body[4:6], "little") == 3
    touch = client.get("/apple-touch-icon.png")
    assert touch.status_code == 200
    assert b"".join(touch.streaming_content)[:8] == b"\x89PNG\r\n\x1a\n"

    html = client.get("/fr/").content.decode()
    assert '<link rel="icon" href="/favicon.ico"' in html
    assert re.search(r'<link rel="icon" href="/static/images/favicon[^"]*\.svg"', html)
    assert '<link rel="apple-touch-icon" href="/apple-touch-icon.png">' in html


def _run_sh_debug(inherited: str | None) -> str:
    """DEBUG as scripts/run.sh exports it, given the developer's own DEBUG (or none)."""
    (line,) = [line for line in RUN_SH.read_text().splitlines() if line.startswith("export DEBUG=")]
    env = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    if inherited is not None:
        env["DEBUG"] = inherited
    result = subprocess.run(
        ["bash", "-c", f'{line}\nprintf %s "$DEBUG"'], env=env, capture_output=True, text=True
    )
    return result.stdout


@pytest.mark.parametrize(("inherited", "debug"), [(None, False), ("", False), ("1", True)])
def test_it_runs_the_readme_command_without_debug_pages_unless_asked(
    monkeypatch, tmp_path, inherited, debug
):
    exported = _run_sh_debug(inherited)

    settings = load_settings(
        monkeypatch, {"CLL_ENV": "development", "CLL_VAR_DIR": str(tmp_path), "DEBUG": exported}
    )

    assert settings["DEBUG"] is debug
