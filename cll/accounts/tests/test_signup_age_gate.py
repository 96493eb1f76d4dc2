"""The age gate at sign-up (GDPR Art. 8, reasonable efforts): a date of birth or an explicit
"I am 13 or older" declaration before any account is created; a child goes to a parent."""

from __future__ import annotations

import datetime

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse
from django.utils import timezone

from cll.accounts.forms import SignupForm
from cll.accounts.models import LearnerProfile, User
from cll.core.models import OutboxEmail
from cll.privacy.models import AuditEntry
from conftest import PASSWORD

pytestmark = pytest.mark.django_db

EMAIL = "sam@example.org"
FORM = {
    "email": EMAIL,
    "password1": PASSWORD,
    "password2": PASSWORD,
    "first_name": "Sam",
    "last_name": "Dubois",
}
TEN_YEARS_AGO = (timezone.localdate() - datetime.timedelta(days=365 * 10 + 3)).isoformat()

MISSING = {
    "fr": "Veuillez indiquer votre date de naissance, ou confirmer que vous avez 13 ans ou plus.",
    "en": "Please give your date of birth, or confirm that you are 13 or older.",
    "nl": "Vul uw geboortedatum in, of bevestig dat u 13 jaar of ouder bent.",
}


def _assert_nothing_saved() -> None:
    assert not User.objects.filter(email=EMAIL).exists()
    assert not LearnerProfile.objects.exists()
    assert not EmailAddress.objects.filter(email=EMAIL).exists()
    assert not OutboxEmail.objects.exists()


@pytest.mark.parametrize("language", ["fr", "en", "nl"])
def test_it_refuses_a_blank_birth_date_without_the_declaration(client, language):
    response = client.post(f"/{language}/account/signup/", FORM)

    assert response.status_code == 200
    form = response.context["form"]
    assert [error.code for error in form.errors.as_data()["age_confirmed"]] == ["age_required"]
    page = response.content.decode()
    assert MISSING[language] in page.replace("&#x27;", "'")
    # The message is tied to the checkbox for screen readers.
    assert 'aria-describedby="id_age_confirmed_helptext id_age_confirmed_error"' in page
    _assert_nothing_saved()


def test_an_unticked_box_is_not_a_declaration(client):
    response = client.post("/en/account/signup/", {**FORM, "age_confirmed": ""})
    assert "age_confirmed" in response.context["form"].errors
    _assert_nothing_saved()


def test_the_declaration_alone_creates_the_account(client, smtp_server):
    response = client.post("/fr/account/signup/", {**FORM, "age_confirmed": "on"})

    assert response.status_code == 302
    user = User.objects.get(email=EMAIL)
    assert user.profile.first_name == "Sam"
    assert user.profile.birth_date is None
    # The declaration is the evidence of the age check: kept in the ledger, with its age.
    (created,) = AuditEntry.objects.filter(action="profile.create", subject=user.public_id)
    assert created.detail == {"age_declared": 13}


def test_a_birth_date_of_13_or_more_needs_no_declaration(client, smtp_server):
    thirteen = timezone.localdate().replace(year=timezone.localdate().year - 13)
    response = client.post("/fr/account/signup/", {**FORM, "birth_date": thirteen.isoformat()})
    assert response.status_code == 302
    user = User.objects.get(email=EMAIL)
    assert user.profile.birth_date == thirteen
    (created,) = AuditEntry.objects.filter(action="profile.create", subject=user.public_id)
    assert "age_declared" not in created.detail


@pytest.mark.parametrize("declared", [False, True])
def test_a_birth_date_under_13_goes_to_the_guardian_path(client, declared):
    # The date of birth wins over a ticked box: a child is sent to ask a parent.
    data = {**FORM, "birth_date": TEN_YEARS_AGO, **({"age_confirmed": "on"} if declared else {})}
    response = client.post("/fr/account/signup/", data)

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:parental_consent_start")
    assert client.get(response["Location"]).status_code == 200
    _assert_nothing_saved()


def test_the_form_itself_refuses_a_child_for_any_other_way_in():
    # The social sign-up form is built on this form, without the view's redirect in front.
    form = SignupForm(data={**FORM, "birth_date": TEN_YEARS_AGO, "age_confirmed": "on"})
    assert not form.is_valid()
    assert [error.code for error in form.errors.as_data()["birth_date"]] == ["under_consent_age"]


def test_the_age_follows_the_setting(client, settings):
    settings.DIGITAL_CONSENT_AGE = 16
    page = client.get("/en/account/signup/").content.decode()
    assert "I am 16 or older" in page
    response = client.post("/en/account/signup/", FORM)
    assert "confirm that you are 16 or older" in response.content.decode()


@pytest.mark.parametrize(
    ("language", "label", "intro"),
    [
        ("fr", "J&#x27;ai 13 ans ou plus", "la confirmation que vous avez 13 ans ou plus"),
        ("en", "I am 13 or older", "a confirmation that you are 13 or older"),
        ("nl", "Ik ben 13 jaar of ouder", "een bevestiging dat u 13 jaar of ouder bent"),
    ],
)
def test_the_page_offers_the_declaration_next_to_the_birth_date(client, language, label, intro):
    page = client.get(f"/{language}/account/signup/").content.decode()
    assert label in page
    assert intro in page.replace("&#x27;", "'")
    # A real, unticked checkbox, right after the date of birth (screen and keyboard order).
    assert 'type="checkbox" name="age_confirmed"' in page
    assert 'name="age_confirmed" id="id_age_confirmed" checked' not in page
    assert page.index('name="birth_date"') < page.index('name="age_confirmed"')
    assert page.index('name="age_confirmed"') < page.index('name="other_details"')
