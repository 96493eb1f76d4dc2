"""Saving a cookie choice: one ledger record per choice, a signed cookie, refused cookies
expired, safe redirects, cross-site forgeries refused, DNT/GPC conflicts confirmed."""

from __future__ import annotations

import pytest

from cll.consent import registry
from cll.consent.selectors import BANNER_VERSION, privacy_policy_version
from cll.consent.tests.helpers import ORIGIN, choose, consent_cookie, consent_records

pytestmark = pytest.mark.django_db


def test_it_records_one_entry_per_choice(client):
    steps = [
        ("accept_all", (), "banner", "accept_all", list(registry.OPTIONAL_CATEGORIES)),
        ("reject_all", (), "settings", "reject_all", []),
        ("custom", ("analytics",), "settings", "custom", ["analytics"]),
        ("custom", ("preferences", "advertising"), "settings", "custom", None),
        ("withdraw", (), "settings", "withdrawal", []),
    ]
    previous = None
    for index, (action, categories, source, choice, expected) in enumerate(steps, start=1):
        response = choose(client, action, categories, source=source)
        assert response.status_code == 302
        records = consent_records()
        assert len(records) == index
        detail = records[-1].detail
        assert detail["choice"] == choice
        assert detail["categories"] == (
            expected if expected is not None else ["preferences", "advertising"]
        )
        assert detail["previous"] == previous
        assert detail["how"] == ("banner" if source == "banner" else "settings page")
        assert detail["banner_version"] == BANNER_VERSION
        assert detail["policy_version"] == privacy_policy_version()
        assert detail["network"] == "127.0.0.0/24"
        previous = detail["categories"]
    # One pseudonymous id links all of this browser's choices.
    assert len({record.detail["consent_id"] for record in consent_records()}) == 1
    assert {record.subject for record in consent_records()} == {None}


def test_it_records_the_signed_in_person_as_subject(client, alice):
    client.force_login(alice)
    choose(client, "reject_all")
    (record,) = consent_records()
    assert record.subject == alice.public_id
    assert record.actor == alice.public_id


def test_it_minimises_ipv6_addresses(client):
    client.post(
        "/fr/consent/",
        {"action": "reject_all", "source": "banner", "next": "/fr/"},
        headers=ORIGIN,
        REMOTE_ADDR="2001:db8:1234:5678::1",
    )
    assert consent_records()[0].detail["network"] == "2001:db8:1234::/48"


def test_it_stores_the_choice_in_a_signed_strictly_necessary_cookie(client):
    response = choose(client, "custom", ["analytics"])
    cookie = consent_cookie(response)
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/"
    assert int(cookie["max-age"]) == 182 * 86400
    home = client.get("/fr/")
    assert b"data-consent-banner" not in home.content


def test_it_expires_the_cookies_of_refused_categories(client):
    client.cookies["_ga"] = "GA1.1.123"
    client.cookies["_ga_ABC123"] = "GS1.1.456"
    client.cookies["_gcl_au"] = "1.1.789"
    response = choose(client, "withdraw", source="settings", next_url="/fr/cookies/")
    for name in ("_ga", "_ga_ABC123", "_gcl_au"):
        assert response.cookies[name]["max-age"] == 0, name
        assert response.cookies[name].value == ""
        # The deletions carry the flags every cookie of ours has (DAST scanners check them).
        assert response.cookies[name]["httponly"] and response.cookies[name]["samesite"] == "Lax"


def test_the_expired_cookies_are_secure_over_https(client):
    client.cookies["_ga"] = "GA1.1.123"
    response = client.post(
        "/fr/consent/",
        {"action": "withdraw", "source": "settings", "next": "/fr/cookies/"},
        headers={"Origin": "https://testserver"},
        secure=True,
    )
    assert response.status_code == 302
    assert response.cookies["_ga"]["secure"] and response.cookies["_ga"]["max-age"] == 0


def test_it_keeps_the_cookies_of_accepted_categories(client):
    client.cookies["_ga"] = "GA1.1.123"
    client.cookies["_gcl_au"] = "1.1.789"
    response = choose(client, "custom", ["analytics"])
    assert "_ga" not in response.cookies
    assert response.cookies["_gcl_au"]["max-age"] == 0


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "javascript:alert(1)", "\\\\evil.example", ""],
)
def test_it_refuses_open_redirects(client, target):
    response = choose(client, "reject_all", next_url=target)
    assert response.status_code == 302
    assert response["Location"] == "/fr/"


def test_it_goes_back_to_a_local_page(client):
    response = choose(client, "reject_all", next_url="/fr/news/?page=2")
    assert response["Location"] == "/fr/news/?page=2"


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Referer": "https://evil.example/page"},
        {},
    ],
)
def test_it_refuses_cross_site_choices(client, headers):
    response = client.post(
        "/fr/consent/", {"action": "accept_all", "source": "banner"}, headers=headers
    )
    assert response.status_code == 403
    assert consent_records() == []
    assert registry.consent_cookie_name() not in response.cookies


def test_it_accepts_same_origin_fetch_metadata_or_referer(client):
    for headers in ({"Sec-Fetch-Site": "same-origin"}, {"Referer": "http://testserver/fr/"}):
        response = client.post(
            "/fr/consent/", {"action": "reject_all", "source": "banner"}, headers=headers
        )
        assert response.status_code == 302
    assert len(consent_records()) == 2


@pytest.mark.parametrize(
    "data",
    [
        {"action": "accept_everything", "source": "banner"},
        {"action": "custom", "source": "banner", "categories": ["analytics", "cryptomining"]},
        {"action": "custom", "source": "elsewhere"},
        {},
    ],
)
def test_it_refuses_unknown_actions_and_categories_as_a_whole(client, data):
    response = client.post("/fr/consent/", data, headers=ORIGIN)
    assert response.status_code == 400
    assert consent_records() == []


def test_it_only_accepts_post(client):
    assert client.get("/fr/consent/").status_code == 405


@pytest.mark.parametrize(("header", "signal"), [("DNT", "dnt"), ("Sec-GPC", "gpc")])
def test_it_asks_to_confirm_an_acceptance_that_conflicts_with_a_signal(client, header, signal):
    response = choose(client, "accept_all", **{header: "1"})
    assert response.status_code == 200
    assert b'name="confirm"' in response.content
    assert response["Cache-Control"] == "no-store"
    assert consent_records() == []
    assert registry.consent_cookie_name() not in response.cookies

    confirmed = client.post(
        "/fr/consent/",
        {"action": "accept_all", "source": "banner", "next": "/fr/", "confirm": "on"},
        headers={**ORIGIN, header: "1"},
    )
    assert confirmed.status_code == 302
    objection, choice = consent_records()
    assert objection.detail["choice"] == "objection" and objection.detail["signal"] == signal
    assert objection.detail["how"] == "signal"
    assert choice.detail["choice"] == "accept_all"
    assert choice.detail["signal"] == signal and choice.detail["overrides_signal"] is True
    # The signal still wins while it is sent: nothing is tracked.
    page = client.get("/fr/", headers={header: "1"})
    assert b"data-consent-tags" not in page.content


def test_it_records_a_refusal_under_a_signal_without_confirmation(client):
    response = choose(client, "reject_all", DNT="1")
    assert response.status_code == 302
    kinds = [record.detail["choice"] for record in consent_records()]
    assert kinds == ["objection", "reject_all"]
    # The objection is recorded once per consent id, not with every later choice.
    choose(client, "custom", ["preferences"], DNT="1")
    kinds = [record.detail["choice"] for record in consent_records()]
    assert kinds == ["objection", "reject_all", "custom"]


def test_it_limits_how_many_choices_one_network_records_per_minute(client, settings):
    settings.CONSENT_RECORDS_PER_MINUTE = 3
    statuses = []
    for _ in range(5):
        client.cookies.clear()
        statuses.append(choose(client, "accept_all").status_code)
    assert statuses == [302, 302, 302, 429, 429]
    assert len(consent_records()) == 3
