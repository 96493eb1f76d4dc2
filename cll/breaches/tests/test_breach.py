"""The breach register (GDPR Art. 33 and 34): record, the 72-hour clock, late notification,
telling the people concerned through the outbox, once each; every step audited."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone, translation

from cll.breaches import selectors, services
from cll.breaches.models import Breach, BreachNotification
from cll.core.models import OutboxEmail
from cll.privacy.datamap import Role
from cll.privacy.models import AuditEntry
from conftest import staff_login

DETECTED = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _url(name: str, *args) -> str:
    with translation.override("en"):
        return reverse(name if ":" in name else f"breaches_staff:{name}", args=args)


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def _form(**changes) -> dict:
    data = {
        "title": "Laptop stolen",
        "detected_at": _local(DETECTED),
        "nature": "A teacher's laptop with a class list was stolen (confidentiality).",
        "data_categories": ["identity", "contact"],
        "people_categories": "Learners of one group",
        "people_count": "14",
        "records_count": "14",
        "consequences": "Names and e-mail addresses may be disclosed.",
        "measures": "Disk encrypted; account passwords reset.",
        "authority_notification": "pending",
        "authority_notified_at": "",
        "authority_reference": "",
        "late_reason": "",
        "people_notification": "pending",
        "decision_reasons": "",
    }
    data.update(changes)
    return data


@pytest.fixture
def officer(client, dora):
    staff_login(client, dora)
    return client


@pytest.fixture
def breach(dora) -> Breach:
    with time_machine.travel(DETECTED + dt.timedelta(hours=1), tick=False):
        return services.breach_record(
            actor=dora,
            role=Role.PRIVACY_OFFICER,
            values={
                "title": "Laptop stolen",
                "detected_at": DETECTED,
                "nature": "Stolen laptop.",
                "people_count": 14,
            },
        )


def test_it_records_a_breach_and_audits_it(officer, dora):
    with time_machine.travel(DETECTED + dt.timedelta(hours=2)):
        response = officer.post(_url("breach_record"), _form())
    breach = Breach.objects.get()
    assert response.status_code == 302
    assert response["Location"] == breach.get_absolute_url()
    assert breach.reported_by == dora
    assert breach.detected_at == DETECTED
    assert breach.data_categories == ["identity", "contact"]
    assert breach.people_count == 14
    entry = AuditEntry.objects.get(action="breach.record")
    assert entry.actor == dora.public_id
    assert entry.actor_role == Role.PRIVACY_OFFICER
    assert entry.target == f"privacy.Breach:{breach.public_id}"
    assert "nature" in entry.fields


def test_it_shows_the_time_left_then_the_overdue_clock(officer, breach):
    with time_machine.travel(DETECTED + dt.timedelta(hours=30), tick=False):
        clock = selectors.breach_clock(breach)
        assert (clock.state, clock.hours) == ("running", 42)
        page = officer.get(_url("breach_detail", breach.public_id)).content.decode()
        assert "42 hours left to notify the authority" in page
    with time_machine.travel(DETECTED + dt.timedelta(hours=75, minutes=30), tick=False):
        clock = selectors.breach_clock(breach)
        assert (clock.state, clock.overdue_hours) == ("overdue", 4)
        # Two days later the staff session has timed out (cll/accounts/middleware.py): sign in.
        staff_login(officer, breach.reported_by)
        page = officer.get(_url("breach_list")).content.decode()
        assert "Overdue: the 72 hours to notify the authority ended 4 h ago" in page
        # The breaches awaiting notification of the authority head the register (they were on
        # the privacy home before the register had an app of its own).
        awaiting = page.split("Breaches awaiting notification of the authority", 1)[1]
        assert breach.get_absolute_url() in awaiting.split("</div>", 1)[0]


def test_it_requires_a_reason_when_the_authority_is_notified_after_72_hours(officer, breach):
    late = DETECTED + dt.timedelta(hours=80)
    with time_machine.travel(late + dt.timedelta(hours=1)):
        response = officer.post(
            _url("breach_detail", breach.public_id),
            _form(authority_notification="required", authority_notified_at=_local(late)),
        )
    assert response.status_code == 200
    assert "give the reasons for the delay" in response.content.decode()
    breach.refresh_from_db()
    assert breach.authority_notified_at is None
    assert not AuditEntry.objects.filter(action="breach.authority_notified").exists()
    # The service refuses it too, whoever calls it.
    with pytest.raises(services.BreachError):
        services.breach_update(
            actor=breach.reported_by,
            role=Role.PRIVACY_OFFICER,
            breach=breach,
            values={"authority_notified_at": late},
        )


def test_it_records_a_late_notification_with_its_reason(officer, breach):
    late = DETECTED + dt.timedelta(hours=80)
    with time_machine.travel(late + dt.timedelta(hours=1)):
        response = officer.post(
            _url("breach_detail", breach.public_id),
            _form(
                authority_notification="required",
                authority_notified_at=_local(late),
                authority_reference="DPA-2026-117",
                late_reason="The extent was only known after the forensic report.",
            ),
        )
    assert response.status_code == 302
    breach.refresh_from_db()
    assert breach.authority_notified_at == late
    assert selectors.breach_clock(breach).state == "notified_late"
    entry = AuditEntry.objects.get(action="breach.authority_notified")
    assert entry.detail == {"hours_after_detection": 80, "late": True}
    assert "late_reason" in AuditEntry.objects.get(action="breach.update").fields


def test_it_records_a_notification_in_time_without_a_reason(officer, breach):
    in_time = DETECTED + dt.timedelta(hours=50)
    with time_machine.travel(in_time + dt.timedelta(minutes=5)):
        response = officer.post(
            _url("breach_detail", breach.public_id),
            _form(authority_notification="required", authority_notified_at=_local(in_time)),
        )
    assert response.status_code == 302
    breach.refresh_from_db()
    assert selectors.breach_clock(breach).state == "notified"
    assert AuditEntry.objects.get(action="breach.authority_notified").detail["late"] is False


def test_it_emails_each_listed_person_once_even_if_sent_twice(officer, breach, alice, charlie):
    post = {
        "audience": "listed",
        "public_ids": f"{alice.public_id}\n{charlie.public_id}\n",
        "subject": "About your data",
        "body": "A laptop holding your name was stolen.",
    }
    first = officer.post(_url("breach_notify", breach.public_id), post)
    assert first.status_code == 302
    second = officer.post(_url("breach_notify", breach.public_id), post)
    assert second.status_code == 302
    emails = OutboxEmail.objects.filter(kind="emails/privacy_breach_notice")
    assert sorted(emails.values_list("to_address", flat=True)) == [
        "alice@example.org",
        "charlie@example.org",
    ]
    alice_email = emails.get(person=alice.public_id)
    assert alice_email.subject == "About your data"
    assert "A laptop holding your name was stolen." in alice_email.text_body
    assert BreachNotification.objects.filter(breach=breach).count() == 2
    breach.refresh_from_db()
    assert breach.people_notified_at is not None
    [entry] = AuditEntry.objects.filter(action="breach.people_notified")
    assert entry.detail["recipients"] == 2
    # Nothing personal in the ledger: ids and counts only.
    assert "alice" not in str(entry.detail)


def test_it_emails_all_learners_but_not_staff(officer, breach, dora, bob, alice, charlie):
    services.breach_people_notify(
        actor=dora,
        role=Role.PRIVACY_OFFICER,
        breach=breach,
        audience="listed",
        public_ids=[alice.public_id],
        subject="S",
        body="B",
    )
    response = officer.post(
        _url("breach_notify", breach.public_id),
        {"audience": "all_learners", "public_ids": "", "subject": "S", "body": "B"},
    )
    assert response.status_code == 302
    told = set(BreachNotification.objects.values_list("person", flat=True))
    assert told == {alice.public_id, charlie.public_id}
    assert OutboxEmail.objects.filter(person=alice.public_id).count() == 1


def test_it_refuses_references_that_match_no_account(officer, breach, alice):
    response = officer.post(
        _url("breach_notify", breach.public_id),
        {
            "audience": "listed",
            "public_ids": f"{alice.public_id}\n00000000-0000-4000-8000-000000000000\nnot-an-id",
            "subject": "S",
            "body": "B",
        },
    )
    assert response.status_code == 400
    assert "not account references" in response.content.decode()
    assert not OutboxEmail.objects.exists()
    response = officer.post(
        _url("breach_notify", breach.public_id),
        {
            "audience": "listed",
            "public_ids": "00000000-0000-4000-8000-000000000000",
            "subject": "S",
            "body": "B",
        },
    )
    assert "No account has these references" in response.content.decode()
    assert not BreachNotification.objects.exists()


def test_it_refuses_a_detection_in_the_future(officer):
    future = timezone.now() + dt.timedelta(days=2)
    response = officer.post(_url("breach_record"), _form(detected_at=_local(future)))
    assert response.status_code == 200
    assert not Breach.objects.exists()


def test_it_refuses_the_register_to_other_roles_and_learners(client, bob, alice, breach):
    urls = [
        _url("breach_list"),
        _url("breach_record"),
        _url("breach_detail", breach.public_id),
        _url("privacy_staff:home"),
        _url("privacy_staff:retention"),
    ]
    staff_login(client, bob)
    assert {client.get(url).status_code for url in urls} == {403}
    assert client.post(_url("breach_notify", breach.public_id), {}).status_code == 403
    client.force_login(alice)
    assert {client.get(url).status_code for url in urls} == {403}


def test_it_answers_404_for_an_unknown_breach(officer):
    import uuid

    assert officer.get(_url("breach_detail", uuid.uuid4())).status_code == 404


def test_it_counts_the_register_and_heads_it_with_the_open_clocks(officer, breach, dora):
    with time_machine.travel(DETECTED + dt.timedelta(hours=3), tick=False):
        notified = services.breach_record(
            actor=dora,
            role=Role.PRIVACY_OFFICER,
            values={
                "title": "Misdirected e-mail",
                "detected_at": DETECTED,
                "nature": "An e-mail went to the wrong address.",
                "authority_notified_at": DETECTED + dt.timedelta(hours=2),
            },
        )
        page = officer.get(_url("breach_list")).content.decode()
    assert "2 breaches recorded." in page
    awaiting = page.split("Breaches awaiting notification of the authority", 1)[1]
    awaiting = awaiting.split("</div>", 1)[0]
    assert breach.get_absolute_url() in awaiting
    assert notified.get_absolute_url() not in awaiting
    assert notified.get_absolute_url() in page


def test_it_prunes_the_register_after_its_period(breach, settings):
    from cll.privacy.datamap import RETENTION
    from cll.privacy.retention import PRUNERS

    days = RETENTION["breach-register"].days
    with time_machine.travel(DETECTED + dt.timedelta(days=days - 1)):
        assert PRUNERS["breach-register"](dry_run=False) == 0
    with time_machine.travel(DETECTED + dt.timedelta(days=days + 1)):
        assert PRUNERS["breach-register"](dry_run=True) == 1
        assert Breach.objects.exists()
        assert PRUNERS["breach-register"](dry_run=False) == 1
    assert not Breach.objects.exists()


def test_it_lets_an_administrator_keep_the_register(client, django_user_model):
    from conftest import _user

    admin = _user(django_user_model, "ada@example.org", Role.ADMINISTRATOR)
    staff_login(client, admin)
    with time_machine.travel(DETECTED + dt.timedelta(hours=2)):
        response = client.post(_url("breach_record"), _form())
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="breach.record")
    assert entry.actor_role == Role.ADMINISTRATOR


def test_it_keeps_the_register_when_its_author_is_erased(breach, dora, alice):
    """Legal hold (Art. 33(5)): the record stays, detached from the erased staff member."""
    from cll.erasure.services import erasure_execute

    services.breach_people_notify(
        actor=dora,
        role=Role.PRIVACY_OFFICER,
        breach=breach,
        audience="listed",
        public_ids=[alice.public_id],
        subject="S",
        body="B",
    )
    erasure_execute(subject=dora, reason="test")
    breach.refresh_from_db()
    assert breach.reported_by is None
    assert breach.nature == "Stolen laptop."
    assert breach.notices.get().sent_by is None
    erasure_execute(subject=alice, reason="test")
    # Who was told stays as evidence, under the erased person's pseudonymous id only.
    assert BreachNotification.objects.get().person == alice.public_id
