"""WebAuthn (security keys, passkeys) in a real browser under our Content Security Policy.

allauth's WebAuthn pages load their JavaScript as static files and pass data in JSON blocks,
which the CSP (``script-src 'self' 'nonce-…'``) allows; a virtual authenticator (Chromium's
DevTools protocol) plays the security key.
"""

from __future__ import annotations

from importlib import import_module
from urllib.parse import urlsplit

import pytest
from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.conf import settings

from conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _authentication_records(page, base: str) -> list[dict]:
    """How the browser's session says its person authenticated (allauth's records)."""
    cookies = {c["name"]: c["value"] for c in page.context.cookies(base)}
    store = import_module(settings.SESSION_ENGINE).SessionStore(
        session_key=cookies[settings.SESSION_COOKIE_NAME]
    )
    return store.get(AUTHENTICATION_METHODS_SESSION_KEY, [])


def test_it_adds_a_security_key_in_the_browser(browser, live_server, alice):
    EmailAddress.objects.create(user=alice, email=alice.email, verified=True, primary=True)
    # WebAuthn refuses IP addresses as the site's identity: use the loopback name.
    base = live_server.url.replace("127.0.0.1", "localhost")
    assert urlsplit(base).hostname == "localhost"
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )

    page.goto(f"{base}/en/account/login/")
    page.fill("input[name=login]", alice.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.account-form button[type=submit]")
    page.wait_for_url("**/account/profile/")
    # Just signed in: adding a second factor opens at once, without asking for the password
    # again (issue 11; later, it asks again: cll/accounts/tests/test_reauthentication.py).
    page.goto(f"{base}/en/account/2fa/webauthn/add/")
    assert "/reauthenticate/" not in page.url
    page.click("#mfa_webauthn_add")
    page.wait_for_url(lambda url: "/webauthn/add/" not in url)

    assert Authenticator.objects.filter(user=alice, type=Authenticator.Type.WEBAUTHN).exists()
    # Adding the key proved it: the session counts as having used a second factor.
    assert any(record["method"] == "mfa" for record in _authentication_records(page, base))
    assert not [e for e in errors if "Content Security Policy" in e], errors
    context.close()
