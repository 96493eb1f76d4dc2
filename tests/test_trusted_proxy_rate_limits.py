"""Behind the reverse proxy, every rate limit keys on the visitor, not on the proxy.

The proxy (10.0.0.1, listed in CLL_TRUSTED_PROXIES) is every request's ``REMOTE_ADDR``; the
visitor is the address it appends to ``X-Forwarded-For`` (cll/lib/clientip.py). One visitor
using up a limit must leave another visitor untouched, at sign-in, the privacy-request form,
parental consent and cookie choices; a forwarded header from a peer that is not a trusted proxy
is ignored (anyone can write one), so changing it does not escape the limit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from allauth.account.models import EmailAddress
from django.test import Client, override_settings
from django.urls import reverse

from cll.consent.tests.helpers import ORIGIN
from conftest import PASSWORD

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.1"
# Two visitors in different /24 networks (cookie choices are limited per network).
VISITOR_A, VISITOR_B = "203.0.113.10", "198.51.100.20"
STRANGER = "192.0.2.66"  # a peer that is not a trusted proxy


def through_proxy(visitor: str) -> dict:
    """What the request looks like to Django when nginx forwards it: the client wrote its own
    (ignored) X-Forwarded-For, nginx appended the address it saw."""
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": f"6.6.6.6, {visitor}"}


def direct(forged: str) -> dict:
    return {"REMOTE_ADDR": STRANGER, "HTTP_X_FORWARDED_FOR": forged}


@dataclass
class Limit:
    """A rate-limited action: ``attempt(n, meta)`` makes the n-th attempt and says whether it
    was accepted; ``allowed`` attempts fit in the limit."""

    attempt: Callable[[int, dict], bool]
    allowed: int


def _sign_in(n: int, meta: dict) -> bool:
    # Failed sign-ins for ever new addresses: only the per-IP limit can stop them.
    response = Client().post(
        reverse("account_login"), {"login": f"person{n}@example.org", "password": "bad"}, **meta
    )
    errors = response.context["form"].non_field_errors().as_data()
    return not any(error.code == "too_many_login_attempts" for error in errors)


def _privacy_request(n: int, meta: dict) -> bool:
    response = Client().post(
        reverse("dsar:request_new"), {"type": "access", "email": f"p{n}@example.org"}, **meta
    )
    return response.status_code == 302


def _parental_consent(n: int, meta: dict) -> bool:
    response = Client().post(
        reverse("accounts:parental_consent_start"),
        {"parent_email": f"parent{n}@example.org"},
        **meta,
    )
    return response.status_code == 200


def _cookie_choice(n: int, meta: dict) -> bool:
    response = Client().post(
        "/fr/consent/",
        {"action": "accept_all", "source": "banner", "next": "/fr/"},
        headers=ORIGIN,
        **meta,
    )
    return response.status_code == 302


LIMITS = {
    # ACCOUNT_RATE_LIMITS["login_failed"]: 10 per minute per IP.
    "sign-in": Limit(_sign_in, 10),
    "privacy request": Limit(_privacy_request, 3),
    # ACCOUNT_RATE_LIMITS["parental_consent"]: 5 per hour per IP.
    "parental consent": Limit(_parental_consent, 5),
    "cookie choice": Limit(_cookie_choice, 3),
}


@pytest.fixture
def tight_limits(settings):
    settings.TRUSTED_PROXIES = ("10.0.0.0/8",)
    settings.DSAR_RATE_PER_IP_HOUR = 3
    settings.DSAR_RATE_PER_ADDRESS_DAY = 100
    settings.CONSENT_RECORDS_PER_MINUTE = 3


@pytest.mark.parametrize("name", LIMITS)
def test_it_gives_two_visitors_behind_the_proxy_two_limits(tight_limits, name):
    limit = LIMITS[name]
    accepted = [limit.attempt(n, through_proxy(VISITOR_A)) for n in range(limit.allowed + 1)]
    assert accepted == [True] * limit.allowed + [False], "visitor A meets the limit"
    assert limit.attempt(100, through_proxy(VISITOR_B)), "visitor B is not limited by A"


@pytest.mark.parametrize("name", LIMITS)
def test_it_ignores_a_forwarded_header_from_an_untrusted_peer(tight_limits, name):
    limit = LIMITS[name]
    for n in range(limit.allowed):
        assert limit.attempt(n, direct(forged=f"203.0.113.{n}"))
    # A new forged address does not make the stranger a new visitor.
    assert not limit.attempt(100, direct(forged="198.51.100.99"))


def test_it_lets_another_visitor_sign_in_while_one_is_locked_out(tight_limits, alice):
    EmailAddress.objects.create(user=alice, email=alice.email, verified=True, primary=True)
    for n in range(15):
        _sign_in(n, through_proxy(VISITOR_A))
    response = Client().post(
        reverse("account_login"),
        {"login": "alice@example.org", "password": PASSWORD},
        **through_proxy(VISITOR_B),
    )
    assert response.status_code == 302


@override_settings(TRUSTED_PROXIES=())
def test_without_trusted_proxies_the_peer_is_the_client():
    from django.test import RequestFactory

    from cll.lib.clientip import request_client_ip

    request = RequestFactory().get("/", **through_proxy(VISITOR_A))
    assert request_client_ip(request) == PROXY
