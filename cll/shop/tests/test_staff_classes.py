"""A teacher's classes: their sessions, the roster (names and levels only) and attendance."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from cll.courses.models import Course
from cll.privacy.datamap import Role
from cll.privacy.models import AuditEntry
from cll.shop.models import Attendance, Enrolment, EnrolmentStatus
from cll.shop.staff_selectors import learners_of_teacher, lesson_key
from cll.shop.tests.test_staff_support import (
    PROFILES,
    make_order,
    make_payment,
    make_profile,
    taught_session,
)
from conftest import _user, staff_login, status_text

pytestmark = pytest.mark.django_db

CLASSES_URL = "/en/staff/shop/classes/"


def roster_url(session) -> str:
    return f"{CLASSES_URL}{session.slug}/"


def attendance_url(course: Course) -> str:
    return f"{roster_url(course.session)}attendance/{lesson_key(course)}/"


@pytest.fixture
def other_teacher(db, django_user_model):
    return _user(django_user_model, "tess@example.org", Role.TEACHER)


@pytest.fixture
def klass(bob, alice, gina):
    """Bob's session with alice and gina enrolled (paid orders), alice's profile complete."""
    session = taught_session(bob)
    make_profile(alice, **PROFILES["alice"], phone="+3210123456", city="Ottignies")
    make_profile(gina, **PROFILES["gina"])
    for learner in (alice, gina):
        make_payment(make_order(learner, session), provider_ref=f"tr_{learner.pk}_SECRET")
    return session


@pytest.fixture
def other_class(other_teacher, charlie):
    session = taught_session(other_teacher)
    make_profile(charlie, **PROFILES["charlie"])
    make_order(charlie, session)
    return session


def _boxes(page: str) -> list[str]:
    """The attendance sheet's checkboxes (the page has others, such as the cookie choices)."""
    return re.findall(r'<input type="checkbox" name="present"[^>]*>', page)


def past_lesson(session) -> Course:
    return session.courses.filter(date__lte=timezone.localdate()).order_by("date").first()


def future_lesson(session) -> Course:
    return session.courses.filter(date__gt=timezone.localdate()).order_by("date").first()


def test_it_is_at_the_documented_urls(klass):
    assert reverse("shop_staff:class_list") == "/fr/staff/shop/classes/"
    assert reverse("shop_staff:class_roster", args=[klass.slug]) == (
        f"/fr/staff/shop/classes/{klass.slug}/"
    )


def test_it_sends_anonymous_visitors_to_sign_in(client, klass):
    for url in (CLASSES_URL, roster_url(klass), attendance_url(past_lesson(klass))):
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith(reverse("account_login"))


def test_it_refuses_learners_and_other_roles(client, alice, bill, cecile, adam, klass):
    urls = (CLASSES_URL, roster_url(klass), attendance_url(past_lesson(klass)))
    client.force_login(alice)
    for url in urls:
        assert client.get(url).status_code == 403
    for member in (bill, cecile, adam):
        staff_login(client, member)
        for url in urls:
            assert client.get(url).status_code == 403


def test_it_lists_only_the_teachers_own_sessions(client, bob, klass, other_class):
    staff_login(client, bob)
    page = client.get(CLASSES_URL).content.decode()
    assert klass.title_en in page and roster_url(klass) in page
    assert other_class.title_en not in page


def test_it_shows_the_roster_with_names_and_levels_only_and_audits_each_learner(
    client, bob, alice, gina, klass, other_class
):
    staff_login(client, bob)
    response = client.get(roster_url(klass))
    assert response.status_code == 200
    page = response.content.decode()
    for shown in ("Alice", "Vandenberghe", "B1", "Gina", "Peeters", "C1"):
        assert shown in page
    # Never contact details, orders or payments; never another class.
    for hidden in (
        alice.email,
        gina.email,
        "+3210123456",
        "Ottignies",
        "tr_",
        "390",
        "Charlie",
        "Dubois",
        *(line.order.reference for line in klass.order_lines.select_related("order")),
    ):
        assert str(hidden) not in page
    entries = AuditEntry.objects.filter(action="shop.roster.read")
    assert {entry.subject for entry in entries} == {alice.public_id, gina.public_id}
    entry = entries.get(subject=alice.public_id)
    assert entry.actor == bob.public_id and entry.actor_role == Role.TEACHER
    assert entry.fields == ["first_name", "last_name", "level"]
    assert entry.route == "shop_staff:class_roster"


def test_it_hides_cancelled_enrolments_from_the_roster(client, bob, gina, klass):
    Enrolment.objects.filter(learner=gina).update(status=EnrolmentStatus.CANCELLED)
    staff_login(client, bob)
    page = client.get(roster_url(klass)).content.decode()
    assert "Alice" in page and "Gina" not in page


def test_it_answers_404_for_another_teachers_session(client, bob, other_class):
    staff_login(client, bob)
    assert client.get(roster_url(other_class)).status_code == 404
    assert client.get(attendance_url(past_lesson(other_class))).status_code == 404
    assert client.post(attendance_url(past_lesson(other_class)), {}).status_code == 404
    assert not AuditEntry.objects.filter(action__startswith="shop.").exists()
    assert not Attendance.objects.exists()


def test_it_answers_404_for_an_unknown_session_or_lesson(client, bob, klass):
    staff_login(client, bob)
    assert client.get(f"{CLASSES_URL}no-such-session/").status_code == 404
    assert client.get(f"{roster_url(klass)}attendance/no-such-lesson/").status_code == 404
    assert client.get(f"{roster_url(klass)}attendance/20000101-0900/").status_code == 404


def test_it_shows_the_attendance_sheet_with_one_checkbox_per_learner(
    client, bob, alice, gina, klass
):
    lesson = past_lesson(klass)
    staff_login(client, bob)
    response = client.get(attendance_url(lesson))
    assert response.status_code == 200
    page = response.content.decode()
    assert len(_boxes(page)) == 2
    assert "Alice Vandenberghe (B1)" in page and "Gina Peeters (C1)" in page
    assert alice.email not in page
    entries = AuditEntry.objects.filter(action="shop.attendance.read")
    assert {entry.subject for entry in entries} == {alice.public_id, gina.public_id}
    assert entries.first().detail == {"lesson": lesson_key(lesson)}


def test_it_marks_attendance_and_audits_it(client, bob, alice, gina, klass):
    lesson = past_lesson(klass)
    alice_seat = Enrolment.objects.get(learner=alice)
    staff_login(client, bob)
    response = client.post(attendance_url(lesson), {"present": [str(alice_seat.public_id)]})
    assert response.status_code == 302
    assert response.headers["Location"] == reverse("shop_staff:class_roster", args=[klass.slug])
    marked = dict(
        Attendance.objects.filter(course=lesson).values_list("enrolment__learner", "present")
    )
    assert marked == {alice.pk: True, gina.pk: False}
    assert Attendance.objects.get(enrolment=alice_seat).marked_by == bob
    entries = AuditEntry.objects.filter(action="shop.attendance.mark")
    assert {entry.subject for entry in entries} == {alice.public_id, gina.public_id}
    assert all(entry.fields == ["present"] for entry in entries)
    assert "2" in status_text(client.get(roster_url(klass)).content.decode())


def test_it_replaces_what_was_marked_when_saved_again(client, bob, alice, gina, klass):
    lesson = past_lesson(klass)
    gina_seat = Enrolment.objects.get(learner=gina)
    staff_login(client, bob)
    client.post(attendance_url(lesson), {"present": []})
    client.post(attendance_url(lesson), {"present": [str(gina_seat.public_id)]})
    assert Attendance.objects.filter(course=lesson).count() == 2
    assert Attendance.objects.get(enrolment=gina_seat).present is True
    page = client.get(attendance_url(lesson)).content.decode()
    # The sheet shows what was marked: gina's box only is ticked.
    ticked = [box for box in _boxes(page) if " checked" in box]
    assert len(ticked) == 1 and str(gina_seat.public_id) in ticked[0]


def test_it_refuses_to_mark_a_lesson_that_has_not_happened(client, bob, alice, klass):
    lesson = future_lesson(klass)
    seat = Enrolment.objects.get(learner=alice)
    staff_login(client, bob)
    response = client.post(attendance_url(lesson), {"present": [str(seat.public_id)]})
    assert response.status_code == 400
    assert "Attendance can be marked from the day of the lesson." in response.content.decode()
    assert not Attendance.objects.exists()
    assert not AuditEntry.objects.filter(action="shop.attendance.mark").exists()


def test_it_refuses_a_learner_of_another_session_and_saves_nothing(
    client, bob, charlie, klass, other_class
):
    lesson = past_lesson(klass)
    stranger_seat = Enrolment.objects.get(learner=charlie)
    staff_login(client, bob)
    for value in (str(stranger_seat.public_id), str(uuid.uuid4()), "not-an-id"):
        response = client.post(attendance_url(lesson), {"present": [value]})
        assert response.status_code == 400
        assert "Select a valid choice." in response.content.decode()
    assert not Attendance.objects.exists()


def test_it_marks_nothing_for_a_teacher_who_lost_the_session(client, bob, other_teacher, klass):
    lesson = past_lesson(klass)
    staff_login(client, bob)
    klass.teacher = other_teacher
    klass.save(update_fields=["teacher"])
    assert client.post(attendance_url(lesson), {"present": []}).status_code == 404
    assert not Attendance.objects.exists()


def test_it_lists_the_lessons_of_the_session_on_the_roster(client, bob, klass):
    staff_login(client, bob)
    page = client.get(roster_url(klass)).content.decode()
    for course in klass.courses.all():
        assert attendance_url(course) in page


def test_it_shows_an_empty_class(client, bob):
    session = taught_session(bob, first_day=timezone.localdate() + dt.timedelta(days=3))
    staff_login(client, bob)
    page = client.get(roster_url(session)).content.decode()
    assert "No learner is enrolled yet." in page


def test_it_tells_the_accounts_app_who_a_teacher_teaches(
    bob, alice, gina, charlie, klass, other_class
):
    Enrolment.objects.filter(learner=gina).update(status=EnrolmentStatus.CANCELLED)
    assert set(learners_of_teacher(bob)) == {alice}
    assert set(learners_of_teacher(alice)) == set()
