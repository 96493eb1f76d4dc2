"""Social sign-in (issue 3, item 4): a full OpenID Connect login against a real provider.

The provider is django-oauth-toolkit (tests/oidc/provider.py), served by the live server on
127.0.0.1 while our site is reached as localhost: two hosts, two cookie jars, as in real life.
Everything travels over HTTP on loopback; nothing in allauth or the provider is mocked.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
import requests
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth import get_user_model
from django.test import override_settings

from tests.oidc.provider import CLAIMS

PROVIDER_ID = "testidp"
CLIENT_ID = "cll-test-client"
CLIENT_SECRET = "a-client-secret-for-the-loopback-provider"
PROVIDER_EMAIL = "olivia.at.provider@example.org"
PROVIDER_PASSWORD = "provider horse battery staple"


class _Forms(HTMLParser):
    """The forms of a page: action and fields (inputs with a name)."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action") or "", "fields": {}})
        elif tag == "input" and self.forms and attrs.get("name") and attrs.get("type") != "submit":
            self.forms[-1]["fields"][attrs["name"]] = attrs.get("value") or ""


def _forms(html: str) -> list[dict]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def _rsa_private_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@pytest.fixture
def oidc(live_server, transactional_db, django_user_model, settings, monkeypatch):
    """The provider on 127.0.0.1 with one client (our site) and one user; allauth pointed at it."""
    from oauth2_provider.models import Application

    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "127.0.0.1,localhost")
    port = urlsplit(live_server.url).port
    site = f"http://localhost:{port}"
    issuer = f"http://127.0.0.1:{port}/o"
    settings.ROOT_URLCONF = "tests.oidc.urls"
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
    settings.OAUTH2_PROVIDER = {
        "OIDC_ENABLED": True,
        "OIDC_RSA_PRIVATE_KEY": _rsa_private_key(),
        "OIDC_ISS_ENDPOINT": issuer,
        "OAUTH2_VALIDATOR_CLASS": "tests.oidc.provider.ClaimsValidator",
        "PKCE_REQUIRED": True,
        "SCOPES": {"openid": "OpenID Connect", "email": "E-mail", "profile": "Profile"},
    }
    provider_user = django_user_model.objects.create_user(
        email=PROVIDER_EMAIL, password=PROVIDER_PASSWORD
    )
    Application.objects.create(
        name="CLL (test)",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=f"{site}/fr/account/oidc/{PROVIDER_ID}/login/callback/",
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=False,
        user=provider_user,
    )
    providers = {
        **settings.SOCIALACCOUNT_PROVIDERS,
        "openid_connect": {
            "APPS": [
                {
                    "provider_id": PROVIDER_ID,
                    "name": "Test IdP",
                    "client_id": CLIENT_ID,
                    "secret": CLIENT_SECRET,
                    "settings": {"server_url": issuer},
                }
            ],
            "SCOPE": ["openid", "email", "profile"],
            "OAUTH_PKCE_ENABLED": True,
        },
    }
    with override_settings(SOCIALACCOUNT_PROVIDERS=providers):
        yield {"site": site, "issuer": issuer}


def _signup_form(page: requests.Response) -> dict:
    return next(f for f in _forms(page.text) if f["action"].endswith("/account/3rdparty/signup/"))


def _submit(session: requests.Session, response: requests.Response, form: dict, **extra):
    action = form["action"] or response.url
    if action.startswith("/"):
        parts = urlsplit(response.url)
        action = f"{parts.scheme}://{parts.netloc}{action}"
    return session.post(action, data={**form["fields"], **extra}, timeout=30)


def test_a_person_signs_in_with_an_openid_connect_provider(oidc):
    browser = requests.Session()
    site = oidc["site"]

    # Our login page offers the provider, as a POST form.
    page = browser.get(f"{site}/fr/account/login/", timeout=30)
    assert page.status_code == 200
    assert "Test IdP" in page.text
    start_url = f"/fr/account/oidc/{PROVIDER_ID}/login/"
    start = next(f for f in _forms(page.text) if f["action"].startswith(start_url))

    # Starting the sign-in sends the browser to the provider, which asks who they are.
    at_provider = _submit(browser, page, start)
    assert at_provider.status_code == 200, at_provider.text[:2000]
    assert at_provider.url.startswith(f"{oidc['issuer']}/login/")
    consent = _submit(
        browser,
        at_provider,
        _forms(at_provider.text)[0],
        email=PROVIDER_EMAIL,
        password=PROVIDER_PASSWORD,
    )

    # The provider asks for consent to share openid, e-mail and profile with our site.
    assert consent.status_code == 200, consent.text[:2000]
    assert consent.url.startswith(f"{oidc['issuer']}/authorize/")
    authorize = _forms(consent.text)[0]
    assert re.search(r"openid", authorize["fields"]["scope"])
    signup = _submit(browser, consent, authorize, allow="Authorize")

    # Back on our site, through the callback: a first sign-in creates the account through our
    # sign-up form and its age gate (a date of birth or "I am 13 or older"), never silently.
    assert signup.status_code == 200, signup.text[:2000]
    assert signup.url == f"{site}/fr/account/3rdparty/signup/"
    assert "Test IdP" in signup.text
    assert not SocialAccount.objects.exists()
    names = {"first_name": CLAIMS["given_name"], "last_name": CLAIMS["family_name"]}
    refused = _submit(browser, signup, _signup_form(signup), **names, age_confirmed="")
    assert refused.status_code == 200
    assert "confirmer que vous avez 13 ans ou plus" in refused.text
    assert not SocialAccount.objects.exists()
    assert not get_user_model().objects.filter(email=CLAIMS["email"]).exists()
    signed_in = _submit(browser, refused, _signup_form(refused), **names, age_confirmed="on")

    # Signed in as a new account, with its profile.
    assert signed_in.status_code == 200, signed_in.text[:2000]
    assert signed_in.url == f"{site}/fr/account/profile/"
    assert CLAIMS["email"] in signed_in.text

    account = SocialAccount.objects.get(provider=PROVIDER_ID)
    assert account.user.email == CLAIMS["email"]
    assert account.uid  # the provider's subject identifier
    # The profile the provider sent is minimised: no picture, no locale.
    data = account.extra_data
    assert data["userinfo"]["email"] == CLAIMS["email"]
    assert "picture" not in str(data) and "locale" not in str(data)
    address = EmailAddress.objects.get(user=account.user)
    assert address.email == CLAIMS["email"] and address.verified
    # The provider's own user is not the person signed in on our site.
    assert account.user.email != PROVIDER_EMAIL
    assert account.user.profile.first_name == CLAIMS["given_name"]
    assert account.user.profile.birth_date is None

    # The profile lists the linked provider and links to the connections page.
    assert "Test IdP" in signed_in.text
    assert "/fr/account/3rdparty/" in signed_in.text
    connections = browser.get(f"{site}/fr/account/3rdparty/", timeout=30)
    assert connections.status_code == 200
    assert "Test IdP" in connections.text
