"""A page's CSRF token (cll/core/csrf.py) is Django's: the cookie's secret under a fresh mask of
uniformly drawn characters, accepted by the middleware as any token; without a secret, Django
makes one."""

from __future__ import annotations

import collections
import re

import pytest
from django.middleware.csrf import (
    CSRF_ALLOWED_CHARS,
    CSRF_SECRET_LENGTH,
    _unmask_cipher_token,
    get_token,
)
from django.test import Client, RequestFactory
from django.urls import reverse

from cll.core import csrf

SECRET = "AbCdEfGhIjKlMnOpQrStUvWxYz012345"


def _request(secret: str | None = SECRET):
    request = RequestFactory().get("/")
    if secret is not None:
        request.META["CSRF_COOKIE"] = secret
    return request


def test_the_token_is_the_secret_under_a_fresh_mask():
    tokens = set()
    for _ in range(200):
        request = _request()
        token = csrf.page_token(request)
        assert len(token) == 2 * CSRF_SECRET_LENGTH
        assert set(token) <= set(CSRF_ALLOWED_CHARS)
        assert _unmask_cipher_token(token) == SECRET  # what the middleware checks
        # As Django's get_token: the cookie in use is sent again.
        assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True
        tokens.add(token[:CSRF_SECRET_LENGTH])
    assert len(tokens) == 200  # a new mask every time


def test_the_form_field_carries_it():
    request = _request()
    html = csrf.page_input(request)
    token = re.fullmatch(
        r'<input type="hidden" name="csrfmiddlewaretoken" value="([A-Za-z0-9]{64})">', html
    ).group(1)
    assert _unmask_cipher_token(token) == SECRET


def test_without_a_secret_django_makes_one():
    request = _request(None)
    token = csrf.page_token(request)
    made = request.META["CSRF_COOKIE"]
    assert len(made) == CSRF_SECRET_LENGTH and made.isalnum()
    assert _unmask_cipher_token(token) == made
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True


def test_the_mask_characters_are_drawn_uniformly():
    # 62 characters, 124,000 drawn: each about 2,000 times (standard deviation about 44). A
    # byte folded onto the alphabet without rejection (256 = 4 * 62 + 8) would draw the first
    # 8 characters 25 % more often.
    counts = collections.Counter(csrf._random_characters(124_000))
    expected = sum(counts.values()) / len(CSRF_ALLOWED_CHARS)
    assert set(counts) == set(CSRF_ALLOWED_CHARS)
    assert all(abs(count - expected) < 6 * expected**0.5 for count in counts.values())
    first, rest = CSRF_ALLOWED_CHARS[:8], CSRF_ALLOWED_CHARS[8:]
    mean_first = sum(counts[c] for c in first) / len(first)
    mean_rest = sum(counts[c] for c in rest) / len(rest)
    assert abs(mean_first - mean_rest) < 0.05 * expected


def test_bytes_that_would_bias_the_draw_are_dropped(monkeypatch):
    reads = iter([bytes([255, 250, 248] * 20), bytes(range(40))])
    monkeypatch.setattr(csrf.os, "urandom", lambda n: next(reads)[:n])
    assert csrf._random_characters(5) == CSRF_ALLOWED_CHARS[:5]


@pytest.mark.django_db
def test_the_middleware_accepts_a_pages_token_and_refuses_another(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    page = client.get(reverse("accounts:profile"))
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert tokens
    data = {"first_name": "Alice", "last_name": "Martin", "country": "BE"}
    other = get_token(_request("Z" * CSRF_SECRET_LENGTH))
    refused = client.post(reverse("accounts:profile"), {**data, "csrfmiddlewaretoken": other})
    assert refused.status_code == 403
    saved = client.post(reverse("accounts:profile"), {**data, "csrfmiddlewaretoken": tokens[0]})
    assert saved.status_code == 302
