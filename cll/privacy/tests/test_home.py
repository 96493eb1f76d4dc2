"""The privacy officer's home (/<lang>/staff/privacy/): it links every tool of the officer, the
ones feature apps serve (the request queue, the breach register) by URL name only, and the
retention dry run."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from conftest import staff_login


def _url(name: str) -> str:
    with translation.override("en"):
        return reverse(name)


@pytest.fixture
def officer(client, dora):
    staff_login(client, dora)
    return client


def test_it_links_the_officers_tools_from_the_privacy_home(officer):
    page = officer.get(_url("privacy_staff:home")).content.decode()
    for name in (
        "dsar_staff:request_list",
        "breaches_staff:breach_list",
        "privacy_staff:ropa",
        "privacy_staff:retention",
    ):
        assert _url(name) in page


def test_it_shows_the_retention_dry_run_to_the_officer(officer):
    page = officer.get(_url("privacy_staff:retention")).content.decode()
    assert "inactive-account" in page
    assert "unconfirmed-registration" in page
    assert "breach-register" in page


def test_it_refuses_the_home_and_the_dry_run_to_other_roles_and_learners(client, bob, alice):
    urls = [_url("privacy_staff:home"), _url("privacy_staff:retention")]
    staff_login(client, bob)
    assert {client.get(url).status_code for url in urls} == {403}
    client.force_login(alice)
    assert {client.get(url).status_code for url in urls} == {403}
