"""The pages linked from the footer, and the frame every page shares."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils.translation import override

from cll.content.tests.pages import PUBLIC_PAGES, Page

pytestmark = pytest.mark.django_db


def url(name: str, language: str) -> str:
    with override(language):
        return reverse(name)


@pytest.mark.parametrize(
    ("name", "headings"),
    [
        (
            "policies:privacy_policy",
            ("Politique de confidentialité", "Privacy policy", "Privacybeleid"),
        ),
        (
            "consent:cookie_settings",
            ("Paramètres des cookies", "Cookie settings", "Cookie-instellingen"),
        ),
        ("helpdesk:contact", ("Contact", "Contact", "Contact")),
        (
            "policies:terms",
            ("Conditions générales", "Terms and conditions", "Algemene voorwaarden"),
        ),
        (
            "content:accessibility",
            (
                "Déclaration d'accessibilité",
                "Accessibility statement",
                "Toegankelijkheidsverklaring",
            ),
        ),
    ],
)
@pytest.mark.parametrize("index", [0, 1, 2], ids=["fr", "en", "nl"])
def test_each_footer_page_renders_in_each_language(client, name, headings, index):
    language = ["fr", "en", "nl"][index]

    response = client.get(url(name, language))

    assert response.status_code == 200
    h1 = Page.of(response.content.decode()).find_all("h1")
    assert [element.text.strip() for element in h1] == [headings[index]]


@pytest.mark.parametrize("language", ["fr", "en", "nl"])
def test_every_footer_link_resolves(client, language):
    page = Page.of(client.get(f"/{language}/").content.decode())
    footer_nav = [
        element.attrs["href"]
        for element in page.find_all("a")
        if element.attrs.get("href", "").startswith(f"/{language}/")
    ]
    footer_links = footer_nav[-5:]

    assert footer_links == [
        url(name, language)
        for name in (
            "policies:privacy_policy",
            "consent:cookie_settings",
            "helpdesk:contact",
            "policies:terms",
            "content:accessibility",
        )
    ]
    for href in footer_links:
        assert client.get(href).status_code == 200, href


def test_the_footer_shows_the_organisation_and_its_address(client):
    html = client.get("/fr/").content.decode()

    assert settings.ORGANISATION_NAME in html
    assert settings.POSTAL_ADDRESS.replace("'", "&#x27;") in html


def test_the_contact_page_gives_the_privacy_address(client):
    html = client.get("/en/contact/").content.decode()

    assert f'href="mailto:{settings.PRIVACY_EMAIL}"' in html


def test_the_privacy_policy_is_in_the_visitors_language(client):
    html = client.get("/nl/privacy/").content.decode()
    policy = [e for e in Page.of(html).find_all("article") if e.attrs.get("lang") == "nl"]

    assert len(policy) == 1
    assert "10. Contactgegevens" in policy[0].text
    assert "nog niet beschikbaar in uw taal" not in html


def test_a_policy_not_yet_in_the_visitors_language_says_so(client):
    from cll.policies.models import PolicyVersion

    PolicyVersion.objects.filter(kind="privacy").update(body_nl="")
    html = client.get("/nl/privacy/").content.decode()
    policy = [e for e in Page.of(html).find_all("article") if e.attrs.get("lang") == "en"]

    assert len(policy) == 1
    assert "10. Contact information" in policy[0].text
    assert "nog niet beschikbaar in uw taal: ze wordt getoond in het Engels" in html


def test_the_cookie_page_lists_the_cookies_really_used(client):
    html = client.get("/en/cookies/").content.decode()

    assert settings.SESSION_COOKIE_NAME in html
    assert settings.CSRF_COOKIE_NAME in html
    assert f"{settings.SESSION_COOKIE_AGE // 86400} days" in html


@pytest.mark.parametrize("name", PUBLIC_PAGES)
def test_public_pages_set_no_cookie(client, name):
    response = client.get(url(name, "fr"))

    assert response.status_code == 200
    assert not response.cookies
