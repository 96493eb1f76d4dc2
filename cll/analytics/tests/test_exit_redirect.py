"""Outbound links leave through /<lang>/go/<token>/: only links we signed redirect."""

from unittest import mock

import pytest
from django.core import signing
from django.template import engines

from cll.analytics import logbuffer, services
from cll.analytics.services import outbound_token
from cll.consent.selectors import ConsentState

DESTINATION = "https://www.example.org/partner?ref=cll"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"

pytestmark = pytest.mark.django_db


def test_it_redirects_a_signed_destination(client):
    response = client.get(f"/fr/go/{outbound_token(url=DESTINATION)}/")
    assert response.status_code == 302
    assert response["Location"] == DESTINATION
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_it_makes_links_with_the_template_tag(client):
    html = engines["jinja2"].from_string('{{ outbound_url("https://example.net/") }}').render({})
    assert html.startswith("/") and "/go/" in html
    assert client.get(html)["Location"] == "https://example.net/"


@pytest.mark.parametrize(
    "token",
    [
        "https:--evil.example",
        signing.dumps("https://evil.example/", salt="another.salt"),
        outbound_token(url=DESTINATION)[:-2] + "xx",
        signing.dumps("javascript:alert(1)", salt="cll.analytics.outbound"),
        "a" * 3000,
    ],
    # Stable names (signed values carry a timestamp), so parallel workers collect the same tests.
    ids=["not-a-token", "other-salt", "altered-signature", "javascript-url", "oversized"],
)
def test_it_refuses_anything_not_signed_by_us(client, token):
    assert client.get(f"/fr/go/{token}/").status_code == 404


def test_it_signs_only_web_links():
    with pytest.raises(ValueError):
        outbound_token(url="javascript:alert(1)")


def test_it_records_the_exit_in_the_clickstream_with_consent(client):
    with mock.patch("cll.consent.hooks.consent_state", return_value=ConsentState(analytics=True)):
        # A browser (a bot's clickstream is never recorded, consent or not).
        client.get(f"/fr/go/{outbound_token(url=DESTINATION)}/", HTTP_USER_AGENT=FIREFOX)
    logbuffer.flush()
    [row] = services.log_rows()
    assert row.exit_url == DESTINATION and row.visitor
    assert not row.page_view


def test_it_records_no_exit_without_consent(client):
    client.get(f"/fr/go/{outbound_token(url=DESTINATION)}/", HTTP_SEC_GPC="1")
    logbuffer.flush()
    [row] = services.log_rows()
    assert row.exit_url == "" and row.visitor is None
    # Nor can the destination be read back from the token in the logged path.
    assert row.path == "/fr/go/<token>/"


def test_it_sends_the_sites_outbound_links_through_the_exit_redirect(client):
    # The cookie page's links to Google's opt-out tools leave through our exit redirect.
    import re

    html = client.get("/en/cookies/").content.decode()
    exits = re.findall(r'href="(/en/go/[^"]+/)"', html)
    destinations = {client.get(path)["Location"] for path in exits}
    assert destinations == {
        "https://adssettings.google.com/",
        "https://tools.google.com/dlpage/gaoptout",
    }
    assert "https://adssettings.google.com" not in html
