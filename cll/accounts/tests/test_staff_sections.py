"""The staff navigation lists exactly the sections each role may open (read from the views'
declared roles, so the menu and the 403 answers agree)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from cll.privacy.datamap import Role
from conftest import staff_login

pytestmark = pytest.mark.django_db


def _sections(client) -> str:
    html = client.get("/en/staff/privacy/").content.decode()
    if 'class="staff-nav"' not in html:
        html = client.get("/en/staff/analytics/").content.decode()
    start = html.index('class="staff-nav"')
    return html[start : html.index("</nav>", start)]


def test_it_shows_the_privacy_officer_their_sections_only(client, dora):
    staff_login(client, dora)
    nav = _sections(client)
    for label in ("Requests from people", "Privacy operations", "Policies", "Learners"):
        assert label in nav
    assert "Tags and tracking" not in nav
    assert 'aria-current="page">Privacy operations' in nav


def test_it_shows_marketing_the_analytics_and_tags_only(client, dora):
    dora.groups.set([Group.objects.get(name=Role.MARKETING)])
    staff_login(client, dora)
    nav = _sections(client)
    assert "Analytics" in nav and "Tags and tracking" in nav
    for label in ("Learners", "Requests from people", "Privacy operations", "Policies"):
        assert label not in nav
