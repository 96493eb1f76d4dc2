"""The staff home: every staff member's entry point, listing exactly the sections their roles
open, the admin when it has something for them, and a teacher's sessions; reachable from the
site header, and the admin links back to it (issue 11, item 5)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from cll.core.roles import Role
from cll.courses.models import Session
from cll.courses.tests.factories import make_session
from conftest import _user, staff_login

pytestmark = pytest.mark.django_db

HOME = "/en/staff/"
# What each role may open, written out by hand (not read from the views): the test fails when
# a view's declared roles and this promise disagree.
EXPECTED = {
    Role.ADMINISTRATOR: [
        "Learners",
        "Requests from people",
        "Privacy operations",
        "Policies",
        "Analytics",
        "Tags and tracking",
        "Orders and invoices",
        "Export for the accountant",
        "Requests for a quote",
        "Reports of a fraudulent debit",
        "Enrolments",
        "Newsletter",
        "Support tickets",
        "Live chat",
        "Feedback",
    ],
    Role.PRIVACY_OFFICER: [
        "Learners",
        "Requests from people",
        "Privacy operations",
        "Policies",
        "Analytics",
    ],
    Role.BILLING: [
        "Learners",
        "Orders and invoices",
        "Export for the accountant",
        "Requests for a quote",
        "Reports of a fraudulent debit",
    ],
    Role.CUSTOMER_SERVICE: ["Learners", "Enrolments", "Support tickets", "Live chat", "Feedback"],
    # Feedback: a teacher sees their own sessions' results, Marketing the figures only.
    Role.TEACHER: ["Learners", "My classes", "Feedback"],
    Role.MARKETING: ["Analytics", "Tags and tracking", "Newsletter", "Feedback"],
    Role.MODERATOR: [],
}
SECTION_LINK = re.compile(
    r'<li class="card"><a class="card__link link-arrow" href="([^"]+)">([^<]+)</a>'
)


def _home_sections(html: str) -> list[tuple[str, str]]:
    return SECTION_LINK.findall(html)


def test_every_role_is_covered():
    assert set(EXPECTED) == set(Role.STAFF_ROLES)


@pytest.mark.parametrize("role", Role.STAFF_ROLES)
def test_it_lists_exactly_the_sections_the_role_opens(client, django_user_model, role):
    member = _user(django_user_model, "member@example.org", role)
    staff_login(client, member)
    response = client.get(HOME)
    assert response.status_code == 200
    sections = _home_sections(response.content.decode())
    assert [label for _url, label in sections] == EXPECTED[role]
    # Every section listed opens for this role; the ones not listed answer 403.
    for url, _label in sections:
        assert client.get(url).status_code == 200, url
    listed = {url for url, _label in sections}
    for url in (
        reverse("staff:learner_list"),
        reverse("dsar_staff:request_list"),
        reverse("privacy_staff:home"),
        reverse("policies_staff:version_list"),
        reverse("analytics_staff:dashboard"),
        reverse("consent_staff:tags_edit"),
    ):
        if url.replace("/fr/", "/en/", 1) not in listed:
            assert client.get(url).status_code == 403, (role, url)


def test_it_offers_the_admin_to_the_administrator_only(client, adam, bob):
    staff_login(client, adam)
    html = client.get(HOME).content.decode()
    assert 'href="/en/admin/"' in html
    # The Administrator keeps the catalogue there (courses migration 0002).
    assert client.get("/en/admin/courses/session/add/").status_code == 200

    client.logout()
    staff_login(client, bob)
    html = client.get(HOME).content.decode()
    # An admin without a single model for them is not offered.
    assert "/admin/" not in html


def test_it_shows_a_teacher_the_sessions_they_teach(client, bob, dora):
    mine = make_session(title="English A2 evenings")
    Session.objects.filter(pk=mine.pk).update(teacher=bob)
    make_session(title="Dutch B1 mornings")
    staff_login(client, bob)
    html = client.get(HOME).content.decode()
    assert "Sessions you teach" in html
    assert "English A2 evenings" in html
    assert mine.get_absolute_url() in html
    assert "Dutch B1 mornings" not in html

    # Not a teacher: no such list.
    client.logout()
    staff_login(client, dora)
    assert "Sessions you teach" not in client.get(HOME).content.decode()


def test_it_shows_a_teacher_without_sessions_that_none_is_assigned(client, bob):
    staff_login(client, bob)
    assert "No session is assigned to you yet." in client.get(HOME).content.decode()


def test_it_sends_an_anonymous_visitor_to_the_sign_in_page(client):
    response = client.get(HOME)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_it_refuses_a_learner(client, alice):
    client.force_login(alice)
    assert client.get(HOME).status_code == 403


def test_it_refuses_a_staff_account_without_a_role(client, django_user_model):
    member = _user(django_user_model, "norole@example.org", is_staff=True)
    staff_login(client, member)
    assert client.get(HOME).status_code == 403


def test_the_header_links_staff_to_the_staff_home(client, dora):
    staff_login(client, dora)
    html = client.get("/en/").content.decode()
    assert f'<a class="main-nav__link" href="{HOME}">Staff area</a>' in html
    # On a staff page, the link is marked as the current area.
    html = client.get(reverse("staff:learner_list").replace("/fr/", "/en/")).content.decode()
    assert f'href="{HOME}" aria-current="true">Staff area' in html


def test_the_header_links_a_staff_account_without_a_role_to_the_admin(client, admin_user):
    staff_login(client, admin_user)
    html = client.get("/en/").content.decode()
    assert 'href="/en/admin/">Staff area</a>' in html


def test_the_header_shows_no_staff_link_to_others(client, alice):
    assert "Staff area" not in client.get("/en/").content.decode()
    client.force_login(alice)
    assert "Staff area" not in client.get("/en/").content.decode()


def test_the_staff_menu_starts_with_the_staff_home(client, dora):
    staff_login(client, dora)
    html = client.get(HOME).content.decode()
    nav = html[
        html.index('class="staff-nav"') : html.index("</nav>", html.index('class="staff-nav"'))
    ]
    assert f'href="{HOME}" aria-current="page">Staff home</a>' in nav
    html = client.get("/en/staff/privacy/").content.decode()
    assert f'href="{HOME}">Staff home</a>' in html


def test_the_admin_links_back_to_the_staff_home(client, adam, admin_user):
    staff_login(client, adam)
    html = client.get("/en/admin/").content.decode()
    assert f'<a class="cll-staff-home" href="{HOME}">Staff area</a>' in html
    # A superuser holding no staff role has no staff home to go back to.
    client.logout()
    staff_login(client, admin_user)
    assert "cll-staff-home" not in client.get("/en/admin/").content.decode()


def test_a_role_added_later_shows_its_sections(client, bob):
    bob.groups.add(Group.objects.get(name=Role.MARKETING))
    staff_login(client, bob)
    labels = [label for _url, label in _home_sections(client.get(HOME).content.decode())]
    assert labels == [
        "Learners",
        "Analytics",
        "Tags and tracking",
        "My classes",
        "Newsletter",
        "Feedback",
    ]
