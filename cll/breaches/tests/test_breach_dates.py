"""The breach register's dates (security issue 16, item 3): detection and notification of the
authority lie within the register's retention period and never in the future. Out of range is a
message beside the field, never a 500 (the year 1 overflowed the conversion to UTC), and nothing
is recorded or audited."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone, translation

from cll.breaches import services
from cll.breaches.models import Breach
from cll.breaches.tests.test_breach import _form
from cll.privacy.datamap import Role
from cll.privacy.models import AuditEntry
from conftest import staff_login

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 5, 12, 0, tzinfo=dt.UTC)
# The register keeps 1825 days (settings.BREACH_REGISTER_DAYS): the earliest, in Brussels time.
TOO_EARLY = "Saisissez une date et une heure à partir du 6 mars 2021 13:00."
FUTURE_DETECTION = "Une violation ne peut pas être détectée dans le futur."
FUTURE = "La date et l'heure ne peuvent pas être dans le futur."


def _url(name: str, *args) -> str:
    with translation.override("fr"):
        return reverse(f"breaches_staff:{name}", args=args)


@pytest.fixture
def officer(client, dora, settings):
    settings.BREACH_REGISTER_DAYS = 1825
    with time_machine.travel(NOW, tick=False):
        staff_login(client, dora)
        yield client


def _breach_actions() -> list[str]:
    return list(
        AuditEntry.objects.filter(action__startswith="breach.").values_list("action", flat=True)
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("detected_at", "0001-01-01T00:00", TOO_EARLY),
        ("detected_at", "0001-01-01T00:00+05:00", TOO_EARLY),
        ("detected_at", "2021-03-06T12:59", TOO_EARLY),
        ("detected_at", "9999-12-31T23:59", FUTURE_DETECTION),
        ("authority_notified_at", "0001-01-01T00:00", TOO_EARLY),
        ("authority_notified_at", "9999-12-31T23:59", FUTURE),
    ],
)
def test_it_refuses_a_date_out_of_range_inline(officer, field, value, message):
    response = officer.post(_url("breach_record"), _form(**{field: value}))

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert message.replace("'", "&#x27;") in response.content.decode()
    assert not Breach.objects.exists()
    assert _breach_actions() == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("detected_at", "0001-01-01T00:00"),
        ("detected_at", "9999-12-31T23:59"),
        ("authority_notified_at", "0001-01-01T00:00"),
        ("authority_notified_at", "9999-12-31T23:59"),
    ],
)
def test_it_leaves_a_recorded_breach_unchanged_on_a_date_out_of_range(officer, dora, field, value):
    detected = NOW - dt.timedelta(days=1)
    breach = services.breach_record(
        actor=dora,
        role=Role.PRIVACY_OFFICER,
        values={"title": "Laptop stolen", "detected_at": detected, "nature": "Stolen laptop."},
    )

    response = officer.post(
        _url("breach_detail", breach.public_id),
        _form(
            **{"detected_at": timezone.localtime(detected).strftime("%Y-%m-%dT%H:%M"), field: value}
        ),
    )

    assert response.status_code == 200
    assert response.context["form"].errors[field]
    breach.refresh_from_db()
    assert breach.detected_at == detected
    assert breach.authority_notified_at is None
    assert _breach_actions() == ["breach.record"]


def test_it_accepts_the_first_moment_the_register_keeps(officer):
    response = officer.post(_url("breach_record"), _form(detected_at="2021-03-06T13:00"))

    assert response.status_code == 302
    assert Breach.objects.get().detected_at == dt.datetime(2021, 3, 6, 12, 0, tzinfo=dt.UTC)


def test_it_gives_the_date_pickers_the_same_range(officer):
    page = officer.get(_url("breach_record")).content.decode()

    assert page.count('min="2021-03-06T00:00"') == 2
    assert page.count('max="2026-03-05T23:59"') == 2


def test_it_keeps_the_register_from_strangers(client, alice):
    client.force_login(alice)

    response = client.post(_url("breach_record"), _form(detected_at="0001-01-01T00:00"))

    assert response.status_code == 403
    assert not Breach.objects.exists()
