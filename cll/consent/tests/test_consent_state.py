"""consent_state(): the signed cookie is the only source; forged, stale or odd values are no
choice; DNT/GPC always win."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import signing
from django.test import RequestFactory

from cll.consent import registry, selectors
from cll.consent.selectors import ConsentState, consent_state, gtag_consent
from cll.consent.services import consent_cookie_value

pytestmark = pytest.mark.django_db

NAME = registry.consent_cookie_name()


def request_with(value: str | None = None, **headers):
    request = RequestFactory().get("/fr/", headers=headers)
    if value is not None:
        request.COOKIES[NAME] = value
    return request


def valid(categories=("analytics",), **extra) -> str:
    return consent_cookie_value(consent_id="a" * 32, categories=list(categories), objection="")


def test_it_reads_a_genuine_choice():
    state = consent_state(request_with(valid(["analytics", "preferences"])))
    assert state.decided and state.consent_id == "a" * 32
    assert state.allows("analytics") and state.allows("preferences")
    assert not state.allows("advertising")


def test_it_treats_no_cookie_as_no_choice():
    state = consent_state(request_with())
    assert not state.decided
    assert not any(state.allows(c) for c in registry.OPTIONAL_CATEGORIES)
    assert state.allows("necessary")


@pytest.mark.parametrize(
    "value",
    [
        "garbage",
        "",
        "x" * 5000,
        "eyJpZCI6ImFhYWFhYWFhYWFhYSIsImMiOlsiYWR2ZXJ0aXNpbmciXX0:forged:signature",
        signing.dumps({"id": "a" * 32, "c": ["advertising"]}, salt="another.salt"),
        signing.dumps({"id": "short", "c": ["advertising"]}, salt=selectors.COOKIE_SALT),
        signing.dumps(["not", "a", "dict"], salt=selectors.COOKIE_SALT),
        signing.dumps({"id": "a" * 32, "c": "advertising"}, salt=selectors.COOKIE_SALT),
    ],
    # Stable names (signed values carry a timestamp), so parallel workers collect the same tests.
    ids=[
        "garbage",
        "empty",
        "oversized",
        "forged-signature",
        "other-salt",
        "short-id",
        "not-a-dict",
        "categories-not-a-list",
    ],
)
def test_it_ignores_forged_or_malformed_cookies(value):
    state = consent_state(request_with(value))
    assert state == ConsentState()


def test_it_ignores_unknown_categories():
    value = consent_cookie_value(
        consent_id="b" * 32, categories=["analytics", "<script>", "necessary"], objection=""
    )
    state = consent_state(request_with(value))
    assert state.chosen == ("analytics",)
    assert not state.allows("<script>")


def test_it_asks_again_after_the_maximum_age():
    with time_machine.travel(dt.datetime(2026, 1, 1, tzinfo=dt.UTC), tick=False):
        value = valid()
    with time_machine.travel(dt.datetime(2026, 6, 1, tzinfo=dt.UTC), tick=False):
        assert consent_state(request_with(value)).decided
    with time_machine.travel(dt.datetime(2026, 7, 3, tzinfo=dt.UTC), tick=False):
        assert not consent_state(request_with(value)).decided


def test_it_asks_again_after_a_privacy_policy_change(monkeypatch):
    value = valid()
    monkeypatch.setattr(
        "cll.consent.selectors.policy_version_current", lambda kind="privacy": "2099-01"
    )
    selectors.privacy_policy_version_forget()
    state = consent_state(request_with(value))
    selectors.privacy_policy_version_forget()
    assert not state.decided
    # The pseudonymous id survives, so the new choice is linked to the old one.
    assert state.consent_id == "a" * 32


def test_it_asks_again_after_a_banner_change(monkeypatch):
    value = valid()
    monkeypatch.setattr(selectors, "BANNER_VERSION", "2099-01-01")
    assert not consent_state(request_with(value)).decided


@pytest.mark.parametrize(
    ("headers", "signal"),
    [({"DNT": "1"}, "dnt"), ({"Sec-GPC": "1"}, "gpc"), ({"DNT": "1", "Sec-GPC": "1"}, "gpc")],
)
def test_it_lets_dnt_and_gpc_win_over_any_choice(headers, signal):
    state = consent_state(request_with(valid(registry.OPTIONAL_CATEGORIES), **headers))
    assert state.signal == signal
    assert not state.allows("analytics")
    assert not state.allows("advertising")
    # Preferences are not tracking: the signal does not switch them off.
    assert state.allows("preferences")


@pytest.mark.parametrize("value", ["0", "yes", "1" * 300, "\x00"])
def test_it_ignores_other_signal_values(value):
    assert consent_state(request_with(valid(), DNT=value)).signal is None


def test_it_parses_once_per_request(monkeypatch):
    request = request_with(valid())
    first = consent_state(request)
    monkeypatch.setattr(selectors, "_state_from", lambda request: pytest.fail("parsed twice"))
    assert consent_state(request) is first


def test_it_makes_no_database_query(django_assert_num_queries, db):
    # The policy version is read at most every few seconds per process, not per request.
    consent_state(request_with(valid()))
    with django_assert_num_queries(0):
        consent_state(request_with(valid(), DNT="1"))


def test_it_maps_categories_to_google_consent_mode_v2():
    everything = gtag_consent(ConsentState(preferences=True, analytics=True, advertising=True))
    assert everything == {
        "ad_storage": "granted",
        "ad_user_data": "granted",
        "ad_personalization": "granted",
        "analytics_storage": "granted",
        "functionality_storage": "granted",
        "personalization_storage": "granted",
        "security_storage": "denied",
    }
    analytics_only = gtag_consent(ConsentState(analytics=True))
    assert analytics_only["analytics_storage"] == "granted"
    assert {analytics_only[k] for k in ("ad_storage", "ad_user_data", "ad_personalization")} == {
        "denied"
    }
    under_gpc = gtag_consent(ConsentState(analytics=True, advertising=True, signal="gpc"))
    assert set(under_gpc.values()) == {"denied"}


@pytest.mark.parametrize(
    ("address", "network"),
    [
        ("192.0.2.123", "192.0.2.0/24"),
        ("2001:db8:abcd:12:1:2:3:4", "2001:db8:abcd::/48"),
        ("::ffff:198.51.100.7", "198.51.100.0/24"),
        ("not an address", ""),
    ],
)
def test_it_minimises_the_ip_address(address, network):
    request = RequestFactory().get("/", REMOTE_ADDR=address)
    assert selectors.minimised_ip(request) == network
