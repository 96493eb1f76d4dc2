"""Staff pages: draft, preview and publish a version (Privacy officer, Administrator)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from django.utils import translation
from django.utils.translation import gettext

from cll.policies.models import PolicyVersion
from cll.policies.tests.helpers import CHANGES, TEXTS, published
from cll.privacy.datamap import Role
from cll.privacy.models import AuditEntry
from conftest import staff_login

pytestmark = pytest.mark.django_db


def _form(**overrides) -> dict:
    data = {
        "kind": "privacy",
        "version": "2027-01",
        **{f"body_{lang}": text for lang, text in TEXTS.items()},
        **{f"changes_{lang}": text for lang, text in CHANGES.items()},
        "material": "on",
        "affects_existing_processing": "on",
        "action": "publish",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def officer_client(client, dora):
    staff_login(client, dora)
    return client


def test_it_refuses_the_staff_pages_to_a_learner(client, alice, dora):
    draft = published(dora, version="2026-12", material=False, affects_existing_processing=False)
    client.force_login(alice)
    for url in (
        "/en/staff/policies/",
        "/en/staff/policies/new/",
        f"/en/staff/policies/{draft.public_id}/",
        f"/en/staff/policies/{draft.public_id}/preview/",
    ):
        assert client.get(url).status_code == 403, url
    assert client.post("/en/staff/policies/new/", _form()).status_code == 403
    assert not PolicyVersion.objects.filter(version="2027-01").exists()


def test_it_sends_anonymous_visitors_to_the_sign_in_page(client):
    response = client.get("/en/staff/policies/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_it_lets_an_administrator_publish(client, django_user_model):
    admin = django_user_model.objects.create_user(email="admin@example.org", password="x" * 20)
    admin.is_staff = True
    admin.save(update_fields=["is_staff"])
    admin.groups.set(Group.objects.filter(name=Role.ADMINISTRATOR))
    staff_login(client, admin)
    assert client.post("/en/staff/policies/new/", _form()).status_code == 302
    entry = AuditEntry.objects.get(action="policy.publish")
    assert entry.actor_role == Role.ADMINISTRATOR


@pytest.mark.parametrize("language", ["fr", "en", "nl"])
def test_it_refuses_to_publish_a_text_empty_in_one_language(officer_client, language):
    response = officer_client.post(f"/{language}/staff/policies/new/", _form(body_nl="  "))

    assert response.status_code == 400
    html = response.content.decode()
    with translation.override(language):
        expected = gettext("A published version needs its text in %(language)s.") % {
            "language": gettext("Dutch")
        }
    assert expected in html
    assert not PolicyVersion.objects.filter(version="2027-01").exists()


def test_it_saves_a_draft_with_a_missing_translation_but_does_not_publish_it(officer_client):
    response = officer_client.post("/en/staff/policies/new/", _form(body_nl="", action="save"))

    assert response.status_code == 302
    draft = PolicyVersion.objects.get(version="2027-01")
    assert draft.published_at is None
    # Publishing the saved draft still needs the Dutch text.
    response = officer_client.post(f"/en/staff/policies/{draft.public_id}/", _form(body_nl=""))
    assert response.status_code == 400
    draft.refresh_from_db()
    assert draft.published_at is None


def test_it_needs_a_summary_of_a_material_change_in_every_language(officer_client):
    response = officer_client.post("/en/staff/policies/new/", _form(changes_fr=""))

    assert response.status_code == 400
    assert "A material change needs a summary of the changes in French." in (
        response.content.decode()
    )
    assert not PolicyVersion.objects.filter(version="2027-01").exists()


@pytest.mark.parametrize("language", ["fr", "en", "nl"])
def test_it_refuses_a_duplicate_version_label(officer_client, dora, language):
    published(dora, version="2027-01")

    response = officer_client.post(f"/{language}/staff/policies/new/", _form())

    assert response.status_code == 400
    with translation.override(language):
        expected = gettext("This policy already has a version with this label.")
    assert expected in response.content.decode()
    assert PolicyVersion.objects.filter(version="2027-01").count() == 1


def test_it_allows_the_same_label_for_the_other_policy(officer_client, dora):
    published(dora, version="2027-01")

    response = officer_client.post("/en/staff/policies/new/", _form(kind="terms"))

    assert response.status_code == 302
    assert PolicyVersion.objects.filter(version="2027-01").count() == 2


def test_it_refuses_a_label_that_cannot_be_a_url(officer_client):
    response = officer_client.post("/en/staff/policies/new/", _form(version="../2027 <b>"))

    assert response.status_code == 400
    assert not PolicyVersion.objects.filter(version__contains="<").exists()


def test_it_refuses_consent_purposes_on_a_change_that_is_not_material(officer_client, new_purpose):
    response = officer_client.post(
        "/en/staff/policies/new/",
        _form(material=None, affects_existing_processing=None, new_consent_purposes=new_purpose),
    )

    assert response.status_code == 400
    assert "is a material change" in response.content.decode()


def test_it_refuses_an_unknown_purpose(officer_client):
    response = officer_client.post(
        "/en/staff/policies/new/", _form(new_consent_purposes="no-such-purpose")
    )

    assert response.status_code == 400
    assert not PolicyVersion.objects.filter(version="2027-01").exists()


def test_it_previews_a_draft_in_each_language_without_publishing_it(officer_client, client):
    officer_client.post("/en/staff/policies/new/", _form(action="save"))
    draft = PolicyVersion.objects.get(version="2027-01")

    for language, text in (("fr", "Texte français."), ("nl", "Nederlandse tekst.")):
        response = officer_client.get(
            f"/en/staff/policies/{draft.public_id}/preview/?language={language}"
        )
        assert response.status_code == 200
        assert text in response.content.decode()
        assert (
            response["Cache-Control"].startswith("max-age=0")
            or "no-cache" in (response["Cache-Control"])
        )
    officer_client.logout()
    assert client.get("/en/policies/privacy/2027-01/").status_code == 404
    assert "English text." not in client.get("/en/privacy/").content.decode()


def test_it_keeps_published_versions_read_only(officer_client, dora):
    version = published(dora, version="2027-01")

    response = officer_client.post(
        f"/en/staff/policies/{version.public_id}/", _form(body_en="Rewritten history.")
    )

    assert response.status_code == 302
    version.refresh_from_db()
    assert version.body_en == TEXTS["en"]


def test_it_lists_versions_with_their_answers(officer_client, dora):
    published(dora, version="2027-01")

    html = officer_client.get("/en/staff/policies/").content.decode()

    assert "2027-01" in html
    assert "2026-11" in html


def test_it_starts_a_new_version_from_the_current_text(officer_client):
    response = officer_client.get("/en/staff/policies/new/?kind=terms")

    assert response.status_code == 200
    html = response.content.decode()
    assert "## 4. Herroepingsrecht" in html
    # The label is left for the officer to choose.
    version_input = re.search(r'<input[^>]*name="version"[^>]*>', html)[0]
    assert "value=" not in version_input


def test_it_shows_a_saved_draft_for_editing_with_preview_links(officer_client, dora):
    officer_client.post("/en/staff/policies/new/", _form(action="save"))
    draft = PolicyVersion.objects.get(version="2027-01")

    response = officer_client.get(f"/en/staff/policies/{draft.public_id}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert f"/en/staff/policies/{draft.public_id}/preview/?language=nl" in html
    assert "Nederlandse tekst." in html
    assert AuditEntry.objects.filter(
        action="policy.draft", actor=dora.public_id, actor_role=Role.PRIVACY_OFFICER
    ).exists()
