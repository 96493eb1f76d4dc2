"""After "delete now" the person is told it is done (issue 11, item 4): the home page they land
on shows a translated confirmation in a ``role="status"`` region, once; the erasure pages list
what a person recognises (item 3), in French and Dutch."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse
from django.utils import translation

from cll.accounts.models import User
from cll.erasure.tests.helpers import erasure_page_urls
from conftest import PASSWORD, status_text

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "confirmation"),
    [
        ("fr", "Votre compte et vos données personnelles ont été supprimés."),
        ("nl", "Uw account en uw persoonsgegevens zijn verwijderd."),
    ],
)
def test_deleting_now_confirms_on_the_home_page(client, alice, language, confirmation):
    client.login(email=alice.email, password=PASSWORD)
    with translation.override(language):
        url = reverse("erasure:account_delete")
        home = reverse("content:home")
    response = client.post(url, {"password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == home
    assert not User.objects.filter(pk=alice.pk, is_active=True).exists()

    page = client.get(home).content.decode()
    assert confirmation in status_text(page)
    # Once only, and never served to the next visitor from the page cache.
    assert status_text(client.get(home).content.decode()) == ""
    client.cookies.clear()
    assert status_text(client.get(home).content.decode()) == ""


def test_a_wrong_password_deletes_nothing_and_confirms_nothing(client, alice):
    client.login(email=alice.email, password=PASSWORD)
    response = client.post("/fr/account/profile/delete/", {"password": "not it"})
    assert response.status_code == 200
    assert status_text(response.content.decode()) == ""
    assert User.objects.filter(pk=alice.pk, is_active=True).exists()


@pytest.mark.parametrize(
    ("language", "expected", "absent"),
    [
        (
            "fr",
            [
                "Méthodes de connexion",
                "Sessions ouvertes",
                "Clé de données (clé de chiffrement personnelle)",
                "Profil : nom, adresse, téléphone, langues et niveau",
                "Adresses e-mail",
            ],
            ["Authenticators", "User sessions", "donnéess", "Clé de donnéess"],
        ),
        (
            "nl",
            [
                "Aanmeldmethoden",
                "Actieve aanmeldsessies",
                "Gegevenssleutel (persoonlijke versleutelingssleutel)",
                "Profiel: naam, adres, telefoon, talen en niveau",
                "E-mailadressen",
            ],
            ["Authenticators", "User sessions", "Data key", "Sign-in methods"],
        ),
    ],
)
def test_the_erasure_pages_list_what_a_person_recognises(client, gina, language, expected, absent):
    for url in erasure_page_urls(client, gina, language):
        page = html.unescape(client.get(url).content.decode())
        start = page.index('class="erasure-plan"')
        plan = page[start : page.index("</section>", start)]
        for text in expected:
            assert text in plan, (url, text)
        for text in absent:
            assert text not in page, (url, text)
        # One line per thing, even when several tables hold it (e.g. sign-in providers).
        for listing in plan.split("<ul>")[1:]:
            items = [item.split("<")[0].strip() for item in listing.split("<li>")[1:]]
            assert len(items) == len(set(items)), (url, items)
