"""Saving a cookie choice with a ``next`` that is no local path (security issue 16, item 3):
the choice is recorded once and the browser goes home, never a 500 (``redirect()`` used to
read such a value as a view name)."""

from __future__ import annotations

import pytest

from cll.consent.tests.helpers import ORIGIN, consent_records

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "target",
    [
        "NaN",
        "-1",
        "%",
        "0x10",
        "content:home",
        ["NaN", "-1"],
        "/\\evil.example/",
        "/fr/\r\nSet-Cookie: planted=1",
    ],
)
def test_it_goes_home_after_a_next_that_is_no_local_path(client, target):
    response = client.post(
        "/fr/consent/",
        {"action": "reject_all", "source": "banner", "next": target},
        headers=ORIGIN,
    )
    assert response.status_code == 302
    assert response["Location"] == "/fr/"
    assert "planted" not in response.cookies
    assert len(consent_records()) == 1


def test_it_follows_the_last_of_two_next_values(client):
    # A QueryDict gives a form field the last value: that one is checked and followed.
    response = client.post(
        "/fr/consent/",
        {"action": "reject_all", "source": "banner", "next": ["NaN", "/fr/news/"]},
        headers=ORIGIN,
    )
    assert response.status_code == 302
    assert response["Location"] == "/fr/news/"
