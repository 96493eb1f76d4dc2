"""The catalogue in the admin: prices typed and shown in euros (cents in the database), and a
teacher chosen among the staff members in the Teacher role (issue 11, item 5)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils.translation import override

from cll.core.roles import Role
from cll.courses.admin import EuroField, SessionAdminForm
from cll.courses.models import Session
from cll.courses.tests.factories import make_language, make_session, make_site
from conftest import _user, staff_login

NBSP = "\N{NO-BREAK SPACE}"
INVALID = "Enter a price in euros, for example 650 or 650.50."


@pytest.mark.parametrize(
    ("typed", "cents"),
    [
        ("650", 65000),
        ("650,00", 65000),
        ("650.50", 65050),
        ("650,50", 65050),
        ("650,5", 65050),
        (" 650,50 € ", 65050),
        (f"650,50{NBSP}€", 65050),
        ("0", 0),
        ("1800", 180000),
    ],
)
def test_it_reads_euros_as_cents(typed, cents):
    assert EuroField().clean(typed) == cents


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("-5", "A price cannot be negative."),
        ("-650,50", "A price cannot be negative."),
        ("abc", INVALID),
        ("650,505", INVALID),
        ("1.800,50", INVALID),
        ("6 5 0 x", INVALID),
        ("1e3", INVALID),
        ("<b>650</b>", INVALID),
        ("12345678", INVALID),
        ("", "This field is required."),
    ],
)
def test_it_rejects_what_is_not_a_price(typed, message):
    from django.core.exceptions import ValidationError

    with override("en"):
        with pytest.raises(ValidationError) as error:
            EuroField().clean(typed)
        assert error.value.messages == [message]


def test_it_explains_the_rejection_in_french():
    from django.core.exceptions import ValidationError

    with override("fr"):
        with pytest.raises(ValidationError) as error:
            EuroField().clean("-5")
        assert error.value.messages == ["Un prix ne peut pas être négatif."]


@pytest.mark.parametrize(
    ("language", "shown"), [("fr", "650,50"), ("en", "650.50"), ("nl", "650,50")]
)
def test_it_shows_stored_cents_as_euros(language, shown):
    with override(language):
        assert EuroField().prepare_value(65050) == shown
    # What the person typed is shown back as typed.
    assert EuroField().prepare_value("65,x") == "65,x"


def _form_data(**overrides) -> dict:
    data = {
        "slug": "session-admin-test",
        "title_fr": "Anglais A2",
        "title_en": "English A2",
        "title_nl": "Engels A2",
        "language": make_language().pk,
        "level": "A2",
        "format": "group",
        "site": make_site().pk,
        "starts_on": "2027-01-22",
        "ends_on": "2027-04-12",
        "hours": "30",
        "price_cents": "650,50",
        "capacity": "12",
        "courses-TOTAL_FORMS": "0",
        "courses-INITIAL_FORMS": "0",
        "courses-MIN_NUM_FORMS": "0",
        "courses-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_the_admin_stores_a_price_typed_in_euros_as_cents(client, adam):
    staff_login(client, adam)
    response = client.post("/fr/admin/courses/session/add/", _form_data())
    assert response.status_code == 302, response.content.decode()[:2000]
    session = Session.objects.get(slug="session-admin-test")
    assert session.price_cents == 65050
    # Shown in euros in the list and in the form.
    listing = client.get("/fr/admin/courses/session/").content.decode()
    assert "650,50\N{NO-BREAK SPACE}€" in listing
    assert "65050" not in listing
    form = client.get(f"/fr/admin/courses/session/{session.pk}/change/").content.decode()
    assert 'name="price_cents" value="650,50"' in form


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("typed", "message"),
    [("-650", "Un prix ne peut pas être négatif."), ("65 €uros", "Indiquez un prix en euros")],
)
def test_the_admin_refuses_a_bad_price_and_saves_nothing(client, adam, typed, message):
    staff_login(client, adam)
    response = client.post("/fr/admin/courses/session/add/", _form_data(price_cents=typed))
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    # The typed value is shown back for correction.
    assert f'name="price_cents" value="{typed}"' in html
    assert not Session.objects.filter(slug="session-admin-test").exists()


@pytest.mark.django_db
def test_the_teacher_is_chosen_among_teachers_only(django_user_model, bob, dora, alice):
    inactive = _user(django_user_model, "gone@example.org", Role.TEACHER)
    inactive.is_active = False
    inactive.save()
    form = SessionAdminForm()
    choices = [label for value, label in form.fields["teacher"].choices if value]
    # Active staff members in the Teacher role only: not dora (privacy officer), not a learner.
    assert choices == ["bob@example.org"]
    # A non-teacher submitted anyway is refused.
    session = make_session()
    form = SessionAdminForm(
        data={**_form_data(slug=session.slug), "teacher": dora.pk}, instance=session
    )
    assert not form.is_valid()
    assert "teacher" in form.errors


@pytest.mark.django_db
def test_the_admin_sets_the_teacher_and_the_teacher_sees_the_session(client, adam, bob):
    staff_login(client, adam)
    response = client.post("/fr/admin/courses/session/add/", _form_data(teacher=bob.pk))
    assert response.status_code == 302
    session = Session.objects.get(slug="session-admin-test")
    assert session.teacher == bob
    assert list(bob.taught_sessions.all()) == [session]
    listing = client.get("/fr/admin/courses/session/").content.decode()
    assert "bob@example.org" in listing


@pytest.mark.django_db
def test_erasing_the_teachers_account_keeps_the_session(bob):
    session = make_session()
    Session.objects.filter(pk=session.pk).update(teacher=bob)
    bob.delete()
    session.refresh_from_db()
    assert session.teacher is None


def test_the_model_keeps_integer_cents():
    field = Session._meta.get_field("price_cents")
    assert field.get_internal_type() == "PositiveIntegerField"
    assert Session(price_cents=65050, starts_on=dt.date(2027, 1, 1)).price == 650.5
