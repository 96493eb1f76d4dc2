"""What the shop tells the rest of the site at start-up: the learners of a teacher (the staff
learner pages), the enrol panel of the session page, the funnel's steps and the cookie
registry's declaration of the cart."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from cll.accounts.staff_selectors import _learners_of_teacher
from cll.analytics.services import _funnel_prefixes
from cll.consent import registry
from cll.courses import hooks
from cll.courses.tests.factories import make_session
from cll.shop import views
from cll.shop.models import Enrolment, EnrolmentStatus

pytestmark = pytest.mark.django_db


def test_a_teacher_s_learners_are_those_enrolled_in_their_sessions(bob, alice, charlie):
    taught = make_session()
    taught.teacher = bob
    taught.save(update_fields=["teacher"])
    Enrolment.objects.create(session=taught, learner=alice)
    Enrolment.objects.create(session=taught, learner=charlie, status=EnrolmentStatus.CANCELLED)
    Enrolment.objects.create(session=make_session(), learner=charlie)

    assert list(_learners_of_teacher(bob)) == [alice]


def test_the_session_page_gets_the_enrol_panel():
    assert views.session_enrol_panel in hooks._session_panels


def test_the_funnel_counts_the_cart_and_the_order_pages():
    steps = dict(_funnel_prefixes())
    assert "/fr/shop/cart/" in steps["cart"] and "/nl/shop/cart/" in steps["cart"]
    assert "/fr/shop/orders/" in steps["order"]


def test_the_session_cookie_is_declared_for_the_cart():
    cookie = registry.cookie_for(settings.SESSION_COOKIE_NAME)
    assert cookie.category == registry.NECESSARY
    assert "shopping cart" in cookie.purpose


def test_the_profile_links_the_shop_s_account_pages(client, alice):
    client.force_login(alice)

    html = client.get(reverse("accounts:profile")).content.decode()

    for name in ("shop:enrolment_list", "shop:order_list", "shop:timetable"):
        assert reverse(name) in html
