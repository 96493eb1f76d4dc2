"""Staff entry of a request received by e-mail or post: the received date lies between the day
the GDPR applies and today (security issue 16, item 3). Out of range is a message beside the
field, never a 500 (the year 1 overflowed the deadline arithmetic), and nothing is recorded."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from cll.core.models import OutboxEmail
from cll.dsar.models import DataSubjectRequest
from cll.dsar.tests.conftest import actions
from conftest import staff_login

pytestmark = pytest.mark.django_db

NEW = reverse("dsar_staff:request_new")


def _enter(client, received_on: str):
    return client.post(
        NEW,
        {
            "type": "access",
            "email": "someone@example.org",
            "channel": "post",
            "received_on": received_on,
            "language": "fr",
            "identity_verified": "on",
        },
    )


@pytest.mark.parametrize(
    ("received_on", "message"),
    [
        ("0001-01-01", "Saisissez une date à partir du 25 mai 2018."),
        ("2018-05-24", "Saisissez une date à partir du 25 mai 2018."),
        ("9999-12-31", "La date ne peut pas être dans le futur."),
        ("99999-01-01", "Saisissez une date valide."),
    ],
)
def test_it_refuses_a_received_date_out_of_range_inline(client, dora, received_on, message):
    staff_login(client, dora)

    response = _enter(client, received_on)

    assert response.status_code == 200
    assert response.context["form"].errors["received_on"] == [message]
    assert message in response.content.decode()
    assert not DataSubjectRequest.objects.exists()
    assert actions() == []
    assert not OutboxEmail.objects.exists()


def test_it_accepts_the_first_day_the_gdpr_applies(client, dora):
    staff_login(client, dora)

    response = _enter(client, "2018-05-25")

    assert response.status_code == 302
    dsr = DataSubjectRequest.objects.get()
    assert timezone.localtime(dsr.received_at).date() == datetime.date(2018, 5, 25)


def test_it_gives_the_date_picker_the_same_range(client, dora):
    staff_login(client, dora)

    page = client.get(NEW).content.decode()

    assert 'min="2018-05-25"' in page
    assert f'max="{timezone.localdate().isoformat()}"' in page


def test_it_keeps_the_form_from_strangers(client, alice):
    client.force_login(alice)

    response = _enter(client, "0001-01-01")

    assert response.status_code == 403
    assert not DataSubjectRequest.objects.exists()
