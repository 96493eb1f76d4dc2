"""Answering a policy change with a ``next`` that is no local path (security issue 16, item 3):
the answer is recorded and the browser goes to the version's page, never a 500."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from cll.policies.models import PolicyResponse
from cll.policies.tests.helpers import published

pytestmark = pytest.mark.django_db


def _respond(client, alice, dora, data: dict):
    """Alice answers a version Dora published the day before; (version, response)."""
    with time_machine.travel(timezone.now() + dt.timedelta(days=1), tick=False):
        version = published(dora)
        client.force_login(alice)
        return version, client.post(f"/en/policies/respond/{version.public_id}/", data)


@pytest.mark.parametrize(
    "target", ["NaN", "-1", "%", "0x10", "policies:choices", ["NaN", "-1"], "/\\evil.example/"]
)
@pytest.mark.parametrize("action", ["accept", "object"])
def test_it_goes_to_the_version_after_a_next_that_is_no_local_path(
    client, alice, dora, action, target
):
    version, response = _respond(client, alice, dora, {"action": action, "next": target})
    assert response.status_code == 302
    assert response["Location"] == version.get_absolute_url()
    assert PolicyResponse.objects.filter(version=version, user=alice).count() == 1


def test_it_goes_back_to_a_local_page(client, alice, dora):
    _version, response = _respond(
        client, alice, dora, {"action": "object", "next": "/en/courses/?page=2"}
    )
    assert response["Location"] == "/en/courses/?page=2"


def test_it_answers_a_refused_choice_with_the_version_page(client, alice, dora):
    # An unavailable purpose: nothing recorded, and still no 500 on a bad next.
    data = {"action": "accept", "purposes": ["no-such-purpose"], "next": "NaN"}
    version, response = _respond(client, alice, dora, data)
    assert response.status_code == 302
    assert response["Location"] == version.get_absolute_url()
    assert not PolicyResponse.objects.filter(version=version, user=alice).exists()
