"""The role x URL matrix, generated from the URLconf (issue 3, acceptance 3).

Nothing here is a hand-kept list of URLs: the URLconf is walked, so a staff page or an account
page added by any app is covered the day it is routed.

- every URL under ``<lang>/staff/`` is a view decorated with ``staff_role_required`` (which
  records the roles it admits on the view as ``staff_roles``);
- for every such URL: an anonymous visitor is sent to the sign-in page, a learner gets 403,
  every staff role the view does not admit gets 403, and every role it admits gets something
  else (a 404 for an id that does not exist is fine). Staff sign in with a second factor, as
  the staff MFA middleware requires (``staff_login``);
- every URL under ``<lang>/account/`` that takes an identifier (uuid, or the int key of one's
  own second factor) answers 404 to a learner asking for another learner's.

One client per persona, reused for every URL, keeps it fast.
"""

from __future__ import annotations

import itertools
import random
import re
import uuid
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import LocalePrefixPattern, RoutePattern

from cll.accounts.models import LearnerProfile
from cll.accounts.services import child_add
from cll.privacy.datamap import Role
from conftest import _user, reauthenticated_login, staff_login

LANGUAGE = "fr"
STAFF_PREFIX = "<lang>/staff/"
ACCOUNT_PREFIX = "<lang>/account/"
_CONVERTER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


@dataclass(frozen=True)
class Route:
    """One URL pattern of the URLconf: its full route ("<lang>/staff/learners/<uuid:public_id>/"),
    its view, and whether every part of it is a path() route (a regex cannot be filled in)."""

    route: str
    pattern: URLPattern
    fillable: bool

    @property
    def view(self):
        return self.pattern.callback

    @property
    def converters(self) -> list[str]:
        return [match["converter"] or "str" for match in _CONVERTER.finditer(self.route)]

    def url(self, **values_by_converter) -> str:
        """The route with the language and every parameter filled in."""

        def fill(match: re.Match) -> str:
            converter = match["converter"] or "str"
            value = values_by_converter.get(converter)
            return str(value() if callable(value) else value)

        return "/" + _CONVERTER.sub(fill, self.route.replace("<lang>/", f"{LANGUAGE}/", 1))


def _routes(patterns, prefix: str = "", fillable: bool = True):
    for entry in patterns:
        pattern = entry.pattern
        if isinstance(pattern, LocalePrefixPattern):
            part, part_fillable = "<lang>/", True
        elif isinstance(pattern, RoutePattern):
            part, part_fillable = str(pattern), True
        else:  # a regular expression (re_path): shown as such, not fillable
            part, part_fillable = str(pattern).lstrip("^").rstrip("$"), False
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, prefix + part, fillable and part_fillable)
        else:
            yield Route(prefix + part, entry, fillable and part_fillable)


ROUTES = list(_routes(get_resolver().url_patterns))
STAFF_ROUTES = [route for route in ROUTES if route.route.startswith(STAFF_PREFIX)]
ACCOUNT_ID_ROUTES = [
    route
    for route in ROUTES
    if route.route.startswith(ACCOUNT_PREFIX) and {"uuid", "int"} & set(route.converters)
]

# Values for the parameters of staff URLs: nothing that exists.
NOWHERE = {
    "uuid": uuid.uuid4,
    "int": lambda: random.randint(10**8, 10**9),
    "slug": "no-such-thing",
    "str": "no-such-thing",
    "path": "no-such-thing",
}


def test_the_matrix_sees_the_staff_and_account_urls():
    # The walk itself is what the matrix stands on: it must find the known pages.
    routes = {route.route for route in ROUTES}
    assert "<lang>/staff/learners/" in routes
    assert "<lang>/staff/learners/<uuid:public_id>/" in routes
    assert "<lang>/account/children/<uuid:public_id>/export/" in {
        route.route for route in ACCOUNT_ID_ROUTES
    }


# The shop's staff pages (issue 13, item 9) and who each is for: Billing's orders, refunds,
# invoices, export and cases; a teacher's classes; customer service's enrolments (never a
# payment). Written out so a change of who may open one is a deliberate change here too.
_BILLING = {Role.BILLING, Role.ADMINISTRATOR}
SHOP_STAFF_ROLES = {
    "<lang>/staff/shop/orders/": _BILLING,
    "<lang>/staff/shop/orders/<uuid:public_id>/": _BILLING,
    "<lang>/staff/shop/orders/<uuid:public_id>/payments/<uuid:payment_id>/refund/": _BILLING,
    "<lang>/staff/shop/orders/<uuid:public_id>/invoices/<slug:number>/": _BILLING,
    "<lang>/staff/shop/export/": _BILLING,
    "<lang>/staff/shop/quotes/": _BILLING,
    "<lang>/staff/shop/quotes/<uuid:public_id>/": _BILLING,
    "<lang>/staff/shop/quotes/<uuid:public_id>/close/": _BILLING,
    "<lang>/staff/shop/fraud-reports/": _BILLING,
    "<lang>/staff/shop/fraud-reports/<uuid:public_id>/": _BILLING,
    "<lang>/staff/shop/fraud-reports/<uuid:public_id>/close/": _BILLING,
    "<lang>/staff/shop/classes/": {Role.TEACHER},
    "<lang>/staff/shop/classes/<slug:slug>/": {Role.TEACHER},
    "<lang>/staff/shop/classes/<slug:slug>/attendance/<slug:lesson>/": {Role.TEACHER},
    "<lang>/staff/shop/enrolments/": {Role.CUSTOMER_SERVICE, Role.ADMINISTRATOR},
    "<lang>/staff/shop/enrolments/<slug:slug>/": {Role.CUSTOMER_SERVICE, Role.ADMINISTRATOR},
}


def test_the_matrix_covers_the_shops_staff_pages_with_their_roles():
    shop = {
        route.route: set(route.view.staff_roles)
        for route in STAFF_ROUTES
        if route.route.startswith("<lang>/staff/shop/")
    }
    assert shop == SHOP_STAFF_ROLES


# The newsletter's campaign pages (issue 14, items 3 and 5): Marketing and the Administrator.
_MARKETING = {Role.MARKETING, Role.ADMINISTRATOR}
_CAMPAIGN = "<lang>/staff/newsletter/campaigns/"
NEWSLETTER_CAMPAIGN_ROLES = {
    _CAMPAIGN + path: _MARKETING
    for path in (
        "",
        "new/",
        "<uuid:public_id>/",
        "<uuid:public_id>/edit/",
        "<uuid:public_id>/preview/<slug:language>/",
        "<uuid:public_id>/preview/<slug:language>/message/",
        "<uuid:public_id>/test/",
        "<uuid:public_id>/schedule/",
        "<uuid:public_id>/send/",
        "<uuid:public_id>/cancel/",
    )
}


def test_the_matrix_covers_the_newsletter_campaign_pages_with_their_roles():
    campaigns = {
        route.route: set(route.view.staff_roles)
        for route in STAFF_ROUTES
        if route.route.startswith(_CAMPAIGN)
    }
    assert campaigns == NEWSLETTER_CAMPAIGN_ROLES


def test_every_staff_url_is_guarded_by_staff_role_required():
    unguarded = [
        route.route
        for route in STAFF_ROUTES
        if not getattr(route.view, "staff_roles", None)
        or not set(route.view.staff_roles) <= set(Role.STAFF_ROLES)
    ]
    assert unguarded == [], (
        "Staff URLs must be views decorated with cll.accounts.staff.staff_role_required(...): "
        f"{unguarded}"
    )
    regex_routes = [route.route for route in STAFF_ROUTES if not route.fillable]
    assert regex_routes == [], f"Use path(), not re_path(), for staff URLs: {regex_routes}"


def _signed_in(user) -> Client:
    client = Client()
    reauthenticated_login(client, user)
    return client


@pytest.fixture
def personas(db, django_user_model, alice):
    """One client per persona: anonymous, a learner, and one staff member per role."""
    clients = {"anonymous": Client(), "learner": _signed_in(alice)}
    for number, role in enumerate(Role.STAFF_ROLES):
        member = _user(django_user_model, f"staff{number}@example.org", role)
        client = Client()
        staff_login(client, member)
        clients[role] = client
    return clients


def test_every_staff_url_answers_each_persona_as_its_roles_say(personas):
    login = reverse("account_login")
    failures = []
    for route in STAFF_ROUTES:
        url = route.url(**NOWHERE)
        entitled = set(route.view.staff_roles)
        for persona, client in personas.items():
            response = client.get(url)
            status = response.status_code
            if persona == "anonymous":
                location = response.headers.get("Location", "")
                ok = status == 302 and location.startswith(login)
                expected = f"302 to {login}"
            elif persona in entitled:
                ok, expected = status != 403, "anything but 403"
            else:
                ok, expected = status == 403, "403"
            if not ok:
                failures.append(f"{url} as {persona}: {status}, expected {expected}")
    assert STAFF_ROUTES
    assert failures == [], "\n".join(failures)


def test_every_staff_url_admits_at_least_one_role():
    assert all(route.view.staff_roles for route in STAFF_ROUTES)


@pytest.fixture
def others_ids(db, gina, alice):
    """Identifiers that belong to other people than the learner asking (charlie): alice's
    account, gina's child, and alice's security key (int id of allauth's authenticator)."""
    from allauth.mfa.models import Authenticator

    child = child_add(
        guardian=gina, data={"first_name": "Lotte", "last_name": "Peeters", "level": "A1"}
    )
    assert LearnerProfile.objects.filter(user=child).exists()
    key = Authenticator.objects.create(
        user=alice, type=Authenticator.Type.WEBAUTHN, data={"name": "Alice's key"}
    )
    return {"uuid": [alice.public_id, gina.public_id, child.public_id], "int": [key.pk]}


def test_no_learner_reaches_another_learners_data_through_an_account_url(charlie, others_ids):
    client = _signed_in(charlie)
    failures = []
    for route in ACCOUNT_ID_ROUTES:
        if not route.fillable:
            failures.append(f"{route.route}: use path() so the matrix can fill it")
            continue
        kinds = [kind for kind in ("uuid", "int") if kind in route.converters]
        for values in itertools.product(*(others_ids[kind] for kind in kinds)):
            url = route.url(**dict(zip(kinds, values, strict=True)), str="x", slug="x")
            status = client.get(url).status_code
            if status == 405:  # a POST-only view: the refusal must not depend on the method
                status = client.post(url).status_code
            if status != 404:
                failures.append(f"{url}: {status}, expected 404")
    assert ACCOUNT_ID_ROUTES
    assert failures == [], "\n".join(failures)
