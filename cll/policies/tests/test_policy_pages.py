"""Public pages: the current version with its date, version and change log, every past version
at its own URL, "what we collect" generated from the data map, the privacy contact."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import override_settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cll.content.tests.pages import Page
from cll.policies import selectors, text
from cll.policies.models import PolicyVersion
from cll.policies.tests.helpers import CHANGES, TEXTS, published
from cll.privacy import datamap

pytestmark = pytest.mark.django_db


def test_it_loads_the_first_versions_from_the_shipped_texts():
    privacy = PolicyVersion.objects.get(kind="privacy")
    terms = PolicyVersion.objects.get(kind="terms")

    assert privacy.version == "2026-11"
    assert "## 10. Contact information" in privacy.body_en
    assert "## 10. Coordonnées" in privacy.body_fr
    assert "## 10. Contactgegevens" in privacy.body_nl
    assert "## 4. Droit de rétractation" in terms.body_fr
    assert "## 4. Herroepingsrecht" in terms.body_nl
    assert selectors.policy_version_current("privacy") == "2026-11"


def test_it_falls_back_to_the_shipped_texts_and_the_setting_without_any_version(client):
    PolicyVersion.objects.all().delete()

    assert selectors.policy_version_current("privacy") == "2026-11"
    html = client.get("/en/privacy/").content.decode()
    assert "10. Contact information" in html


def test_it_adds_the_french_and_dutch_texts_to_a_first_privacy_version_without_them():
    import importlib

    from django.apps import apps

    migration = importlib.import_module("cll.policies.migrations.0003_first_privacy_translations")
    privacy = PolicyVersion.objects.get(kind="privacy")
    PolicyVersion.objects.filter(pk=privacy.pk).update(body_fr="", body_nl="Al vertaald.")
    migration.add(apps, None)

    privacy.refresh_from_db()
    assert "## 10. Coordonnées" in privacy.body_fr
    assert privacy.body_nl == "Al vertaald."  # a text already there is never replaced
    assert "## 10. Contact information" in privacy.body_en


@pytest.mark.parametrize(
    ("language", "text"),
    [("fr", "10. Coordonnées"), ("nl", "10. Contactgegevens"), ("en", "10. Contact information")],
)
def test_it_shows_the_privacy_policy_in_each_language(client, language, text):
    html = client.get(f"/{language}/privacy/").content.decode()
    articles = Page.of(html).find_all("article")

    assert text in articles[0].text
    assert articles[0].attrs["lang"] == language
    # Every placeholder was filled from the settings.
    assert "{privacy_email}" not in html and "{organisation_name}" not in html


@pytest.mark.parametrize(
    ("language", "text"),
    [("fr", "Droit de rétractation"), ("nl", "Herroepingsrecht"), ("en", "Right of withdrawal")],
)
def test_it_shows_the_terms_in_each_language(client, language, text):
    html = client.get(f"/{language}/terms/").content.decode()
    articles = Page.of(html).find_all("article")

    assert len(articles) == 1
    assert text in articles[0].text
    assert articles[0].attrs["lang"] == language


def test_it_shows_the_current_version_its_dates_and_changes_and_keeps_the_past_one(client, dora):
    version = published(dora, version="2027-01", material=False, affects_existing_processing=False)

    html = client.get("/en/privacy/").content.decode()
    assert "English text." in html
    assert "Version 2027-01, published on" in html
    assert CHANGES["en"] in html
    assert "/en/policies/privacy/2026-11/" in html
    assert version.get_absolute_url() == "/en/policies/privacy/2027-01/"

    old = client.get("/en/policies/privacy/2026-11/").content.decode()
    assert "10. Contact information" in old
    assert "This is a past version, kept for the record." in old
    assert "English text." not in old

    dutch = client.get("/nl/privacy/").content.decode()
    assert "Nederlandse tekst." in dutch
    assert CHANGES["nl"] in dutch


def test_it_answers_404_for_an_unknown_version_or_kind(client):
    assert client.get("/en/policies/privacy/1999-01/").status_code == 404
    assert client.get("/en/policies/cookies/2026-11/").status_code == 404


def test_it_announces_the_objection_period_of_a_material_change_while_it_is_open(client, dora):
    published(dora, version="2027-01")

    html = client.get("/en/privacy/").content.decode()
    assert "you can object or close your account until" in html

    with time_machine.travel(timezone.now() + dt.timedelta(days=31)):
        later = client.get("/en/privacy/").content.decode()
    assert "you can object or close your account until" not in later
    assert "Version 2027-01" in later


def test_it_removes_scripts_and_unsafe_links_from_policy_texts(client, dora):
    bodies = {
        **TEXTS,
        "en": "Hello <script>alert(1)</script> [click](javascript:alert(2)) "
        '<img src=x onerror="alert(3)"> **bold**',
    }
    published(
        dora, version="2027-01", material=False, affects_existing_processing=False, bodies=bodies
    )

    html = client.get("/en/privacy/").content.decode()
    article = html[html.index("<article") : html.index("</article>")]

    assert "<script>alert" not in article
    assert "javascript:" not in article
    assert "onerror" not in article
    assert "<strong>bold</strong>" in article


def test_it_generates_what_we_collect_from_the_data_map(client):
    html = client.get("/en/privacy/").content.decode()
    section = html[html.index('id="what-we-collect"') :]

    account = datamap.PURPOSES["account"]
    assert str(account.description) in section
    assert "Contract (GDPR Art. 6(1)(b))" in section
    assert "Contact details" in section
    assert datamap.RETENTION["account"].description in section


def test_it_shows_a_purpose_added_to_the_data_map(client):
    key = datamap.purpose("test-added-purpose", _("Sending you a birthday card."))
    try:
        html = client.get("/en/privacy/").content.decode()
    finally:
        datamap.PURPOSES.pop(key)

    assert "Sending you a birthday card." in html
    assert 'id="purpose-test-added-purpose"' in html


@override_settings(
    ORGANISATION_NAME="CLL Test asbl",
    PRIVACY_EMAIL="dpo@cll.example",
    POSTAL_ADDRESS="Rue du Test 1, 1000 Bruxelles",
    DPA_REGISTRATION="VT 999",
)
@pytest.mark.parametrize("path", ["/en/privacy/", "/fr/terms/", "/nl/"])
def test_it_takes_the_privacy_contact_from_the_settings(client, path):
    html = client.get(path).content.decode()
    footer = html[html.index("<footer") :]

    for value in ("CLL Test asbl", "dpo@cll.example", "Rue du Test 1, 1000 Bruxelles", "VT 999"):
        assert value in footer, value
    if path == "/en/privacy/":
        main = html[: html.index("<footer")]
        contact = main[main.index('id="privacy-contact"') :]
        for value in ("CLL Test asbl", "dpo@cll.example", "Rue du Test 1", "VT 999"):
            assert value in contact, value
        # The policy text names the settings' address and registration too.
        article = main[main.index("<article") : main.index("</article>")]
        assert "under number VT 999" in article
        assert "mailto:dpo@cll.example" in article


def test_it_serves_the_policy_pages_to_anonymous_visitors_from_the_cache(client, dora):
    first = client.get("/en/privacy/")
    assert first.status_code == 200
    assert not first.cookies
    # Publishing retires the cached page.
    published(dora, version="2027-01", material=False, affects_existing_processing=False)
    assert "English text." in client.get("/en/privacy/").content.decode()


def test_a_policy_text_is_rendered_once_and_follows_its_placeholders(monkeypatch, settings):
    # The policy's markdown is long to render: once per text and placeholder values.
    calls = []
    monkeypatch.setattr(
        text, "markdown_to_safe_html", lambda *a, **k: calls.append(1) or f"<p>{len(calls)}</p>"
    )
    text._rendered.cache_clear()
    source = "Write to {privacy_email}."
    assert text.policy_markdown_render(source) == text.policy_markdown_render(source)
    assert len(calls) == 1
    settings.PRIVACY_EMAIL = "dpo@cll.example"
    text.policy_markdown_render(source)
    assert len(calls) == 2
    text._rendered.cache_clear()
