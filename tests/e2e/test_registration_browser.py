"""A new learner in a real browser: register, confirm the e-mail, sign in, edit the profile.

Issue 3, acceptance 1. The verification e-mail goes the production way: allauth's adapter
queues it in the outbox, the outbox delivers it over SMTP to a real server on loopback
(``smtp_server``), and the test follows the link found in the message it received. Every page
is checked for requests to another host and for console errors (a CSP violation is one).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from playwright.sync_api import expect

from cll.accounts.models import User
from cll.core.outbox import outbox_deliver_due
from conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path("/tmp/cll-screenshots")
EMAIL = "nadia.browser@example.org"


def _label(text: str) -> re.Pattern:
    """A field's whole label: Django appends " :" (with a no-break space) in French."""
    return re.compile(rf"^{re.escape(text)}[\s\u00a0]*:?$")


def _screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def test_a_new_learner_registers_confirms_signs_in_and_edits_the_profile(
    page, live_server, smtp_server, settings, traffic
):
    # Links in e-mails must lead back to the site the browser is on.
    settings.SITE_URL = live_server.url
    base = live_server.url

    # 1. Register, in French.
    page.set_default_timeout(10_000)
    page.goto(f"{base}/fr/account/signup/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("h1")).to_have_text("Créer un compte")
    _screenshot(page, "signup-fr.png")
    form = page.locator("main form.account-form")
    form.get_by_label(_label("Courriel")).fill(EMAIL)
    form.get_by_label(_label("Mot de passe")).fill(PASSWORD)
    form.get_by_label("Mot de passe (confirmation)").fill(PASSWORD)
    form.get_by_label("Prénom").fill("Nadia")
    form.get_by_label(_label("Nom")).fill("Verhoeven")
    form.get_by_label("Rue et numéro").fill("Rue des Wallons 12")
    form.get_by_label("Code postal").fill("1348")
    form.get_by_label("Localité").fill("Louvain-la-Neuve")
    form.get_by_label("Pays").select_option("BE")
    form.get_by_label("Téléphone").fill("010 47 00 00")
    form.get_by_label("Langue maternelle").fill("Nederlands")
    form.get_by_label("Langue(s) que vous voulez apprendre").fill("Français")
    form.get_by_label("Votre niveau (CECR)").select_option("B1")
    form.get_by_label("Objectifs d'apprentissage").fill("Parler avec mes collègues")
    form.get_by_label("Date de naissance").fill("1990-04-02")
    form.get_by_role("button", name="Créer mon compte").click()
    page.wait_for_url(lambda url: "/account/signup/" not in url)

    user = User.objects.get(email=EMAIL)
    assert not EmailAddress.objects.get(user=user).verified
    # Nothing is sent inside the request: the outbox delivers after the commit.
    assert smtp_server.messages == []

    # 2. The outbox delivers the verification e-mail to the loopback SMTP server.
    outbox_deliver_due()
    (received,) = smtp_server.wait_for(1)
    assert received.rcpt_tos == (EMAIL,)
    body = received.message.get_body(preferencelist=("plain",)).get_content()
    links = re.findall(r"https?://\S+/account/confirm-email/\S+", body)
    assert links, body
    link = links[0]
    assert link.startswith(f"{base}/"), link

    # 3. Follow the link and confirm.
    page.goto(link)
    expect(page.locator("h1")).to_have_text("Confirmez votre adresse e-mail")
    page.locator("main").get_by_role("button", name="Confirmer").click()
    page.wait_for_url(lambda url: "/confirm-email/" not in url)
    assert EmailAddress.objects.get(user=user).verified

    # 4. Sign in with the new credentials.
    page.goto(f"{base}/fr/account/login/")
    login = page.locator("main form.account-form")
    login.get_by_label(_label("Courriel")).fill(EMAIL)
    login.get_by_label(_label("Mot de passe")).fill(PASSWORD)
    login.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/fr/account/profile/")
    expect(page.locator("h1")).to_have_text("Mon profil")
    expect(page.locator("main")).to_contain_text(EMAIL)

    # 5. Edit the profile: the change shows on the very next page.
    profile = page.locator("main form.account-form")
    expect(profile.get_by_label("Localité")).to_have_value("Louvain-la-Neuve")
    profile.get_by_label("Code postal").fill("1300")
    profile.get_by_label("Localité").fill("Wavre")
    profile.get_by_label("Objectifs d'apprentissage").fill("Réussir l'examen B2 en juin")
    profile.get_by_role("button", name="Enregistrer mon profil").click()
    page.wait_for_load_state()
    page.wait_for_url("**/fr/account/profile/")
    profile = page.locator("main form.account-form")
    expect(profile.get_by_label("Localité")).to_have_value("Wavre")
    expect(profile.get_by_label("Code postal")).to_have_value("1300")
    expect(profile.get_by_label("Objectifs d'apprentissage")).to_have_value(
        "Réussir l'examen B2 en juin"
    )
    expect(page.locator(".profile-history")).to_contain_text("localité")
    _screenshot(page, "profile-fr.png")

    user.profile.refresh_from_db()
    assert user.profile.city == "Wavre"

    assert traffic.foreign == []
    assert traffic.console_errors == []


def test_a_visitor_without_a_birth_date_declares_their_age(page, live_server, settings):
    """The age gate in the browser: a blank date of birth alone is refused with a message next
    to the "I am 13 or older" box; ticking it creates the account."""
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/fr/account/signup/")
    form = page.locator("main form.account-form")

    def fill_in() -> None:
        form.get_by_label(_label("Courriel")).fill(EMAIL)
        form.get_by_label(_label("Mot de passe")).fill(PASSWORD)
        form.get_by_label("Mot de passe (confirmation)").fill(PASSWORD)
        form.get_by_label("Prénom").fill("Nadia")
        form.get_by_label(_label("Nom")).fill("Verhoeven")

    fill_in()
    form.get_by_role("button", name="Créer mon compte").click()
    page.wait_for_load_state()

    box = form.get_by_role("checkbox", name="J'ai 13 ans ou plus")
    message = (
        "Veuillez indiquer votre date de naissance, ou confirmer que vous avez 13 ans ou plus."
    )
    expect(page.locator(".field--error", has_text=message)).to_be_visible()
    # Announced with the field: its description names the error.
    expect(box).to_have_accessible_description(re.compile(re.escape(message)))
    expect(page.locator("main [role=alert]")).to_be_visible()
    assert not User.objects.filter(email=EMAIL).exists()
    _screenshot(page, "signup-age-gate-fr.png")

    # Passwords are never sent back to the page: typed again, with the box ticked.
    fill_in()
    box.check()
    form.get_by_role("button", name="Créer mon compte").click()
    page.wait_for_url(lambda url: "/account/signup/" not in url)
    profile = User.objects.get(email=EMAIL).profile
    assert (profile.first_name, profile.birth_date) == ("Nadia", None)
