"""A 10-year-old registers through a parent, in a real browser (issue 3, acceptance 2).

The child tries to register and is asked only for a parent's e-mail address (nothing they typed
is kept); the link goes the production way (outbox, then SMTP to a real server on loopback);
the parent follows it in their own browser, signs in, completes the child's profile; the child's
account exists and the consent (guardian, child, time, policy version) is in the audit ledger.
Every page is checked for requests to another host and for console errors (CSP violations).
"""

from __future__ import annotations

import datetime
import re

import pytest
from allauth.account.models import EmailAddress
from django.utils import timezone
from playwright.sync_api import expect

from cll.accounts.models import Guardianship, LearnerProfile, ParentalConsentRequest, User
from cll.core.outbox import outbox_deliver_due
from cll.privacy.models import AuditEntry
from conftest import PASSWORD
from tests.e2e.browsing import guarded_page
from tests.e2e.test_registration_browser import _label, _screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHILD_EMAIL = "lotte.browser@example.org"
PARENT_EMAIL = "gina@example.org"
TEN_YEARS_AGO = timezone.localdate() - datetime.timedelta(days=365 * 10 + 3)


def _page(browser, live_server, traffic):
    return guarded_page(
        browser, live_server.url, traffic, viewport={"width": 1280, "height": 900}, locale="fr-BE"
    )


def test_a_child_registers_through_a_parent_who_consents(
    browser, live_server, smtp_server, settings, traffic, gina
):
    settings.SITE_URL = live_server.url
    base = live_server.url
    EmailAddress.objects.create(user=gina, email=PARENT_EMAIL, verified=True, primary=True)

    # 1. The child fills in the sign-up form with their date of birth.
    with _page(browser, live_server, traffic) as child:
        child.set_default_timeout(10_000)
        child.goto(f"{base}/fr/account/signup/")
        form = child.locator("main form.account-form")
        form.get_by_label(_label("Courriel")).fill(CHILD_EMAIL)
        form.get_by_label(_label("Mot de passe")).fill(PASSWORD)
        form.get_by_label("Mot de passe (confirmation)").fill(PASSWORD)
        form.get_by_label("Prénom").fill("Lotte")
        form.get_by_label(_label("Nom")).fill("Peeters")
        form.get_by_label("Date de naissance").fill(TEN_YEARS_AGO.isoformat())
        form.get_by_role("button", name="Créer mon compte").click()

        # 2. Asked only for a parent's address; nothing the child typed is kept.
        child.wait_for_url("**/fr/account/signup/child/")
        expect(child.locator("h1")).to_have_text("Demander l'accord d'un parent")
        request_form = child.locator("main form.account-form")
        fields = request_form.locator("input:not([type=hidden]), select, textarea")
        expect(fields).to_have_count(1)
        assert not User.objects.filter(email=CHILD_EMAIL).exists()
        assert not LearnerProfile.objects.exists()
        request_form.get_by_label(re.compile("adresse e-mail de ton parent")).fill(PARENT_EMAIL)
        request_form.get_by_role("button", name="Envoyer").click()
        expect(child.locator("h1")).to_have_text("Message envoyé")
        _screenshot(child, "child-consent-requested-fr.png")
        assert ParentalConsentRequest.objects.count() == 1
        assert smtp_server.messages == []  # nothing sent inside the request

    # 3. The outbox delivers the link to the parent on the loopback SMTP server.
    outbox_deliver_due()
    (received,) = smtp_server.wait_for(1)
    assert received.rcpt_tos == (PARENT_EMAIL,)
    body = received.message.get_body(preferencelist=("plain",)).get_content()
    links = re.findall(r"https?://\S+/account/consent/\S+", body)
    assert links, body
    link = links[0]
    assert link.startswith(f"{base}/"), link

    # 4. The parent follows it in their own browser, signs in, and completes the profile.
    with _page(browser, live_server, traffic) as parent:
        parent.set_default_timeout(10_000)
        parent.goto(link)
        parent.wait_for_url("**/fr/account/login/**")
        login = parent.locator("main form.account-form")
        login.get_by_label(_label("Courriel")).fill(PARENT_EMAIL)
        login.get_by_label(_label("Mot de passe")).fill(PASSWORD)
        login.get_by_role("button", name="Se connecter").click()
        parent.wait_for_url(lambda url: "/account/consent/" in url)
        expect(parent.locator("h1")).to_have_text("L'inscription de votre enfant")
        expect(parent.locator("main")).to_contain_text(settings.PRIVACY_POLICY_VERSION)
        profile = parent.locator("main form.account-form")
        profile.get_by_label("Prénom").fill("Lotte")
        profile.get_by_label(_label("Nom")).fill("Peeters")
        profile.get_by_label("Date de naissance").fill(TEN_YEARS_AGO.isoformat())
        profile.get_by_label("Langue(s) que vous voulez apprendre").fill("Français")
        profile.get_by_label("Votre niveau (CECR)").select_option("A1")
        profile.get_by_role("button", name="Je donne mon accord et crée le compte").click()
        parent.wait_for_url("**/fr/account/profile/")
        expect(parent.locator(".profile-children")).to_contain_text("Lotte Peeters")
        _screenshot(parent, "child-consent-given-fr.png")

    # 5. The child's account and profile exist; the consent is in the ledger.
    (guardianship,) = Guardianship.objects.filter(guardian=gina)
    child_account = guardianship.child
    assert child_account.profile.first_name == "Lotte"
    assert child_account.profile.birth_date == TEN_YEARS_AGO
    assert not child_account.has_usable_password()
    assert guardianship.policy_version == settings.PRIVACY_POLICY_VERSION
    (consent,) = AuditEntry.objects.filter(action="consent.parental")
    assert abs(consent.at - guardianship.consent_given_at) < datetime.timedelta(seconds=5)
    assert consent.actor == gina.public_id
    assert consent.subject == child_account.public_id
    assert consent.detail == {
        "guardian": str(gina.public_id),
        "child": str(child_account.public_id),
        "policy_version": settings.PRIVACY_POLICY_VERSION,
    }
    # The request (the parent's sealed address) is gone once used.
    assert not ParentalConsentRequest.objects.exists()

    assert traffic.foreign == []
    assert traffic.console_errors == []
