"""The admin speaks the person's language (issue 11, item 5): it lives under the language
prefix (/fr/admin/, /en/admin/, /nl/admin/), /admin/ sends each visitor to theirs, and the
admin offers the other languages and a way back to the staff home."""

from __future__ import annotations

import pytest
from django.test import Client

from conftest import staff_login

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("accept_language", "expected"),
    [("", "/fr/admin/"), ("en-GB,en;q=0.9", "/en/admin/"), ("nl-BE", "/nl/admin/")],
)
def test_it_sends_the_unprefixed_admin_to_the_visitors_language(client, accept_language, expected):
    response = client.get("/admin/", headers={"accept-language": accept_language})
    assert response.status_code == 302
    assert response["Location"] == expected


def test_it_keeps_the_rest_of_the_address_and_the_query(client):
    response = client.get("/admin/courses/session/?q=a2")
    assert response.status_code == 302
    assert response["Location"] == "/fr/admin/courses/session/?q=a2"


def test_it_reposts_a_form_sent_to_the_old_address(db):
    response = Client().post("/admin/login/", {"a": "b"})
    assert response.status_code == 307
    assert response["Location"] == "/fr/admin/login/"


def test_it_keeps_the_csrf_check_on_the_old_address(db):
    response = Client(enforce_csrf_checks=True).post("/admin/login/", {"a": "b"})
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("language", "header", "logout"),
    [
        ("fr", "Administration de CLL", "Déconnexion"),
        ("en", "CLL administration", "Log out"),
        ("nl", "Beheer van CLL", "Afmelden"),
    ],
)
def test_it_shows_the_admin_in_the_persons_language(client, adam, language, header, logout):
    staff_login(client, adam)
    html = client.get(f"/{language}/admin/").content.decode()
    assert f'<html lang="{language}"' in html
    assert header in html
    assert logout in html


def test_it_shows_the_catalogue_in_french(client, adam):
    staff_login(client, adam)
    html = client.get("/fr/admin/courses/session/add/").content.decode()
    assert "<h1>Ajout de session</h1>" in html
    assert '<label class="required" for="id_price_cents">Prix (€)' in html
    assert "Toutes taxes comprises, en euros" in html
    assert '<label for="id_teacher">Enseignant' in html


def test_it_offers_the_other_languages_on_the_same_page(client, adam):
    staff_login(client, adam)
    html = client.get("/fr/admin/courses/session/").content.decode()
    assert 'href="/en/admin/courses/session/" lang="en" hreflang="en"' in html
    assert 'href="/nl/admin/courses/session/" lang="nl" hreflang="nl"' in html
    assert 'href="/fr/admin/courses/session/" lang="fr" hreflang="fr" aria-current="true"' in html


def test_it_requires_the_second_factor_under_every_language(client, adam):
    client.force_login(adam)
    for language in ("fr", "en", "nl"):
        response = client.get(f"/{language}/admin/")
        assert response.status_code == 302
        assert "/account/2fa/" in response["Location"]


def test_it_sends_an_anonymous_visitor_to_the_sign_in_page(client):
    response = client.get("/en/admin/")
    assert response.status_code == 302
    login = client.get(response["Location"])
    assert login.status_code == 302
    assert login["Location"].startswith("/en/account/login/")


def test_the_french_header_links_staff_to_the_staff_area(client, dora, admin_user):
    staff_login(client, dora)
    assert 'href="/fr/staff/">Espace du personnel</a>' in client.get("/fr/").content.decode()
    client.logout()
    staff_login(client, admin_user)
    assert 'href="/fr/admin/">Espace du personnel</a>' in client.get("/fr/").content.decode()


def test_a_role_with_a_permission_id_out_of_range_is_refused(client, admin_user):
    from django.contrib.auth.models import Group

    staff_login(client, admin_user)
    response = client.post("/en/admin/auth/group/add/", {"name": "Huge", "permissions": ["9" * 40]})
    assert response.status_code == 200
    assert "is not a valid value." in response.content.decode()
    assert not Group.objects.filter(name="Huge").exists()


def test_the_user_sessions_admin_searches_by_email(client, admin_user):
    staff_login(client, admin_user)
    response = client.get("/en/admin/usersessions/usersession/?q=<b>alice</b>")
    assert response.status_code == 200
