"""WebAuthn (security keys, passkeys) in a real browser under our Content Security Policy.

allauth's WebAuthn pages load their JavaScript as static files and pass data in JSON blocks,
which the CSP (``script-src 'self' 'nonce-…'``) allows; a virtual authenticator (Chromium's
DevTools protocol) plays the security key.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator

from conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


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
    # Adding a second factor asks for the password again first.
    page.goto(f"{base}/en/account/2fa/webauthn/add/")
    page.wait_for_url("**/account/reauthenticate/**")
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url("**/2fa/webauthn/add/")
    page.click("#mfa_webauthn_add")
    page.wait_for_url(lambda url: "/webauthn/add/" not in url)

    assert Authenticator.objects.filter(user=alice, type=Authenticator.Type.WEBAUTHN).exists()
    assert not [e for e in errors if "Content Security Policy" in e], errors
    context.close()
