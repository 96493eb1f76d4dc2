"""Third-party tags: injected only after consent to their category, never under DNT/GPC, with
the tag hosts in the CSP of those responses only; staff configure the ids."""

from __future__ import annotations

import re

import pytest

from cll.consent.models import TagConfiguration
from cll.consent.selectors import tags_forget
from cll.consent.tests.helpers import choose
from cll.privacy.datamap import Role
from cll.privacy.models import AuditEntry
from conftest import staff_login

pytestmark = pytest.mark.django_db

GTM = "https://www.googletagmanager.com"


@pytest.fixture
def configured(db):
    TagConfiguration.objects.create(
        pk=1,
        ga4_measurement_id="G-TEST1234",
        ads_conversion_id="AW-123456789",
        floodlight_id="DC-1234567",
        google_signals=True,
    )
    tags_forget()


def csp(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part for part in header.split("; ")}


def test_it_injects_nothing_before_consent(client, configured):
    page = client.get("/fr/")
    assert b"data-consent-tags" not in page.content
    assert GTM not in page["Content-Security-Policy"]
    assert b"googletagmanager" not in page.content


def test_it_injects_the_analytics_tag_only_after_analytics_consent(client, configured):
    choose(client, "custom", ["analytics"])
    page = client.get("/fr/")
    tag = re.search(rb"<script [^>]*data-consent-tags[^>]*>", page.content)[0].decode()
    assert 'src="/static/consent/tags.js"' in tag
    assert 'nonce="' in tag
    assert 'data-analytics-id="G-TEST1234"' in tag
    assert 'data-ads-id=""' in tag and 'data-floodlight-id=""' in tag
    assert 'data-google-signals="0"' in tag
    assert "&quot;analytics_storage&quot;: &quot;granted&quot;" in tag
    assert "&quot;ad_storage&quot;: &quot;denied&quot;" in tag
    policy = csp(page)
    assert GTM in policy["script-src"]
    assert "https://*.google-analytics.com" in policy["connect-src"]
    assert "https://*.google-analytics.com" in policy["img-src"]
    assert "doubleclick" not in page["Content-Security-Policy"]


def test_it_injects_advertising_tags_only_after_advertising_consent(client, configured):
    choose(client, "custom", ["advertising"])
    page = client.get("/fr/courses/")
    tag = re.search(rb"<script [^>]*data-consent-tags[^>]*>", page.content)[0].decode()
    assert 'data-analytics-id=""' in tag
    assert 'data-ads-id="AW-123456789"' in tag and 'data-floodlight-id="DC-1234567"' in tag
    assert 'data-google-signals="1"' in tag
    assert "https://googleads.g.doubleclick.net" in csp(page)["script-src"]


@pytest.mark.parametrize("header", ["DNT", "Sec-GPC"])
def test_it_never_injects_tags_under_a_signal(client, configured, header):
    client.post(
        "/fr/consent/",
        {"action": "accept_all", "source": "banner", "next": "/fr/", "confirm": "on"},
        headers={"Origin": "http://testserver", header: "1"},
    )
    for path in ("/fr/", "/fr/courses/", "/fr/cookies/"):
        page = client.get(path, headers={header: "1"})
        assert b"data-consent-tags" not in page.content, path
        assert GTM not in page["Content-Security-Policy"], path
    # The same browser without the signal gets the tags it accepted.
    assert b"data-consent-tags" in client.get("/fr/").content


def test_it_injects_nothing_when_no_id_is_configured(client):
    choose(client, "accept_all")
    page = client.get("/fr/")
    assert b"data-consent-tags" not in page.content
    assert GTM not in page["Content-Security-Policy"]


def test_it_keeps_the_strict_csp_on_responses_without_a_tag(client, configured):
    choose(client, "accept_all")
    # JSON is not a page: no tag, no relaxed policy.
    response = client.get("/.well-known/gpc.json")
    assert GTM not in response.get("Content-Security-Policy", "")


def test_it_stops_the_tags_after_a_withdrawal(client, configured):
    choose(client, "accept_all")
    assert b"data-consent-tags" in client.get("/fr/").content
    choose(client, "withdraw", source="settings")
    page = client.get("/fr/")
    assert b"data-consent-tags" not in page.content
    assert GTM not in page["Content-Security-Policy"]


# -- Staff configuration ------------------------------------------------------------------------

URL = "/fr/staff/tags/"


@pytest.fixture
def marketing(mark):
    return mark


@pytest.fixture
def administrator(adam):
    return adam


def test_it_asks_anonymous_visitors_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/account/login/" in response["Location"]


def test_it_refuses_a_learner_and_other_staff(client, alice, dora):
    client.force_login(alice)
    assert client.get(URL).status_code == 403
    staff_login(client, dora)
    assert client.get(URL).status_code == 403


@pytest.mark.parametrize("persona", ["marketing", "administrator"])
def test_it_lets_marketing_and_administrators_configure_the_tags(client, persona, request):
    user = request.getfixturevalue(persona)
    staff_login(client, user)
    assert client.get(URL).status_code == 200
    response = client.post(
        URL,
        {
            "ga4_measurement_id": " g-abcd1234 ",
            "ads_conversion_id": "AW-987654321",
            "floodlight_id": "",
            "google_signals": "on",
        },
    )
    assert response.status_code == 302
    config = TagConfiguration.objects.get(pk=1)
    assert config.ga4_measurement_id == "G-ABCD1234"
    assert config.ads_conversion_id == "AW-987654321"
    assert config.floodlight_id == "" and config.google_signals
    entry = AuditEntry.objects.get(action="consent.tags.update")
    assert entry.actor == user.public_id
    assert entry.actor_role == (Role.MARKETING if persona == "marketing" else Role.ADMINISTRATOR)
    assert set(entry.fields) == {"ga4_measurement_id", "ads_conversion_id", "google_signals"}
    # The new ids are used at once (the cached configuration is forgotten).
    client.logout()
    choose(client, "accept_all")
    assert b'data-analytics-id="G-ABCD1234"' in client.get("/fr/").content


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("ga4_measurement_id", "UA-12345-1"),
        ("ga4_measurement_id", "G-<script>"),
        ("ads_conversion_id", "AW-abc"),
        ("floodlight_id", "DC-12"),
        ("floodlight_id", "https://evil.example/x.js"),
    ],
)
def test_it_refuses_malformed_ids(client, marketing, field, value):
    staff_login(client, marketing)
    response = client.post(URL, {field: value})
    assert response.status_code == 200
    assert b"errorlist" in response.content
    assert not TagConfiguration.objects.exists()
    assert not AuditEntry.objects.filter(action="consent.tags.update").exists()
