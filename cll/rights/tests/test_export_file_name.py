"""The downloaded export's file name (issue 11, item 8): in the person's language, with the day
on the school's clock (Europe/Brussels), not UTC's."""

from __future__ import annotations

import datetime as dt
from urllib.parse import unquote

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from cll.accounts.services import child_add
from cll.rights import services
from cll.rights.tasks import export_build

pytestmark = pytest.mark.django_db

# 23:30 UTC on 5 December is already 00:30 on 6 December in Brussels.
LATE_EVENING_UTC = dt.datetime(2026, 12, 5, 23, 30, tzinfo=dt.UTC)


def _file_name(content_disposition: str) -> str:
    """The file name a browser saves under (RFC 6266: ``filename*`` wins over ``filename``)."""
    parameters = dict(
        part.strip().split("=", 1) for part in content_disposition.split(";")[1:] if "=" in part
    )
    if "filename*" in parameters:
        charset, _language, value = parameters["filename*"].split("'", 2)
        return unquote(value, encoding=charset)
    return parameters["filename"].strip('"')


def _download(client, user, language: str):
    with time_machine.travel(LATE_EVENING_UTC, tick=False), translation.override(language):
        job = services.export_start(subject=user)
        export_build.call(str(job.public_id))
    # Downloaded from the French page whatever the export's language.
    with translation.override("fr"):
        url = reverse("rights:export_download", args=[job.public_id])
    assert url.startswith("/fr/")
    client.force_login(user)
    response = client.post(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    return response


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fr", "cll-mes-données-2026-12-06.zip"),
        ("nl", "cll-mijn-gegevens-2026-12-06.zip"),
        ("en", "cll-my-data-2026-12-06.zip"),
    ],
)
def test_it_names_the_export_in_the_persons_language_with_the_brussels_date(
    client, alice, language, expected
):
    response = _download(client, alice, language)
    assert _file_name(response["Content-Disposition"]) == expected


def test_the_name_follows_the_language_the_export_was_written_in(client, alice):
    # Asked for in Dutch, downloaded from the French page: the file holds Dutch, so its name
    # is Dutch too.
    response = _download(client, alice, "nl")
    assert _file_name(response["Content-Disposition"]).startswith("cll-mijn-gegevens-")


def test_it_names_a_childs_export_in_the_guardians_language(client, gina):
    child = child_add(
        guardian=gina,
        data={"first_name": "Lotte", "last_name": "Peeters", "birth_date": dt.date(2018, 3, 1)},
    )
    client.force_login(gina)
    with translation.override("fr"):
        url = reverse("rights:child_export", args=[child.public_id])
    with time_machine.travel(LATE_EVENING_UTC, tick=False):
        response = client.get(url)
    assert response.status_code == 200
    name = _file_name(response["Content-Disposition"])
    assert name == f"cll-données-enfant-2026-12-06-{child.public_id}.zip"
