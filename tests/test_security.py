"""The security baseline every response carries (ASVS V3/V14), and 4xx never 500 on bad input."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from django.urls import path

from conftest import PASSWORD


def boom(request):
    raise RuntimeError("secret internal detail")


urlpatterns = [path("boom", boom)]


@pytest.fixture
def page(client, db):
    return client.get("/fr/account/login/")


def test_it_sends_a_nonce_based_csp_without_unsafe_inline(page):
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    assert "base-uri 'none'" in csp


def test_it_sends_the_isolation_headers(page):
    assert page.headers["Permissions-Policy"].startswith("accelerometer=()")
    assert page.headers["Cross-Origin-Resource-Policy"] == "same-origin"
    assert page.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert page.headers["Referrer-Policy"] == "same-origin"
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"


@override_settings(SECURE_HSTS_SECONDS=31536000, SECURE_HSTS_INCLUDE_SUBDOMAINS=True)
def test_it_sends_hsts_over_https(client, db):
    response = client.get("/admin/login/", secure=True)
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_it_never_caches_pages_for_a_signed_in_person(client, alice):
    client.login(email=alice.email, password=PASSWORD)
    response = client.get("/health")
    assert "no-store" in response.headers["Cache-Control"]
    assert "private" in response.headers["Cache-Control"]


def test_it_answers_400_to_a_bad_host_header(client, db):
    response = client.get("/admin/login/", HTTP_HOST="evil.example")
    assert response.status_code == 400


def test_it_answers_400_to_an_oversized_body(client, db):
    body = "x=" + "a" * (3 * 1024 * 1024)
    response = client.post(
        "/admin/login/", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400


def test_it_answers_403_with_a_generic_page_without_csrf_token(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/admin/login/", {"username": "a", "password": "b"})
    assert response.status_code == 403
    assert "CSRF" not in response.content.decode()
    assert "Referer" not in response.content.decode()


@override_settings(ROOT_URLCONF=__name__, DEBUG=False)
def test_it_shows_a_generic_error_page_without_traceback(db):
    client = Client(raise_request_exception=False)
    response = client.get("/boom")
    assert response.status_code == 500
    body = response.content.decode()
    assert "secret internal detail" not in body
    assert "Traceback" not in body
    assert "RuntimeError" not in body
