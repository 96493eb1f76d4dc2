"""DNT/GPC: recorded once per consent id as an objection (Art. 21(5)); /.well-known/gpc.json."""

from __future__ import annotations

import pytest

from cll.consent import registry
from cll.consent.tests.helpers import ORIGIN, consent_records

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("header", "signal"), [("DNT", "dnt"), ("Sec-GPC", "gpc")])
def test_it_records_the_signal_once_per_consent_id(client, header, signal):
    first = client.post("/fr/consent/signal/", headers={**ORIGIN, header: "1"})
    assert first.status_code == 204
    (record,) = consent_records()
    assert record.action == "consent.cookies"
    assert record.detail["choice"] == "objection"
    assert record.detail["signal"] == signal
    assert record.detail["objects_to"] == ["analytics", "advertising"]
    assert record.detail["network"] == "127.0.0.0/24"
    assert registry.consent_cookie_name() in first.cookies

    again = client.post("/fr/consent/signal/", headers={**ORIGIN, header: "1"})
    assert again.status_code == 204
    assert len(consent_records()) == 1
    # No choice was made: the banner is still shown, and says the signal is honoured.
    page = client.get("/fr/", headers={header: "1"})
    assert b"data-consent-banner" in page.content
    assert b"data-consent-signal-notice" in page.content
    assert b"data-consent-signal=" not in page.content


def test_it_records_nothing_without_a_signal(client):
    response = client.post("/fr/consent/signal/", headers=ORIGIN)
    assert response.status_code == 204
    assert consent_records() == []
    assert not response.cookies


def test_it_refuses_a_cross_site_signal_record(client):
    response = client.post("/fr/consent/signal/", headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert consent_records() == []


def test_it_asks_the_browser_to_record_the_signal(client):
    page = client.get("/fr/", headers={"Sec-GPC": "1"})
    assert b'data-consent-signal="/fr/consent/signal/"' in page.content
    assert b"Global Privacy Control" in page.content


def test_it_serves_the_gpc_support_statement(client):
    response = client.get("/.well-known/gpc.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert data["gpc"] is True
    assert len(data["lastUpdate"]) == 10 and data["lastUpdate"][4] == "-"
