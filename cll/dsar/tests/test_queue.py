"""The privacy officer's queue: who may see it, what each view records, staff entry,
extension, rejection and completion."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from cll.dsar import services
from cll.dsar.deadlines import first_deadline
from cll.dsar.models import DataSubjectRequest
from cll.dsar.tests.conftest import actions, mails
from cll.privacy.models import AuditEntry
from conftest import staff_login

pytestmark = pytest.mark.django_db

LIST = reverse("dsar_staff:request_list")
NEW = reverse("dsar_staff:request_new")


def _entered(actor, *, email="alice@example.org", type="access", days_ago=0, verified=True):
    return services.request_enter(
        actor=actor,
        type=type,
        email=email,
        details="",
        language="en",
        channel="email",
        received_at=timezone.now() - datetime.timedelta(days=days_ago),
        identity_verified=verified,
    )


def _detail(dsr, name="request_detail"):
    return reverse(f"dsar_staff:{name}", args=[dsr.public_id])


def test_it_sends_anonymous_visitors_to_sign_in(client, dora):
    dsr = _entered(dora)
    for url in (LIST, NEW, _detail(dsr)):
        response = client.get(url)
        assert response.status_code == 302
        assert reverse("account_login") in response["Location"]


def test_it_refuses_learners_and_marketing(client, alice, mallory, dora):
    dsr = _entered(dora)
    for person in (alice, mallory):
        if person.is_staff:
            staff_login(client, person)
        else:
            client.force_login(person)
        for url in (LIST, NEW, _detail(dsr)):
            assert client.get(url).status_code == 403
        for name in ("request_fulfil", "request_complete", "request_reject", "request_extend"):
            assert client.post(_detail(dsr, name), {"reason": "x", "months": 1}).status_code == 403
    dsr.refresh_from_db()
    assert dsr.status == DataSubjectRequest.Status.OPEN
    assert not AuditEntry.objects.filter(action="dsar.read").exists()


def test_it_opens_the_queue_to_the_privacy_officer_and_administrator(client, dora, adam):
    _entered(dora)
    for person in (dora, adam):
        staff_login(client, person)
        assert client.get(LIST).status_code == 200


def test_it_lists_overdue_requests_first_without_personal_data(client, dora, time_machine):
    time_machine.move_to(datetime.datetime(2025, 6, 20, 9, tzinfo=datetime.UTC), tick=False)
    recent = _entered(dora, email="recent@example.org", days_ago=1)
    overdue = _entered(dora, email="late@example.org", days_ago=40)
    waiting = _entered(dora, email="wait@example.org", verified=False)
    closed = _entered(dora, email="done@example.org")
    services.request_complete(request=closed, actor=dora)
    staff_login(client, dora)
    response = client.get(LIST)
    listed = [row.public_id for row in response.context["requests"]]
    assert listed == [overdue.public_id, recent.public_id, waiting.public_id]
    page = response.content.decode()
    assert "En retard de 10 jours" in page
    assert "@example.org" not in page
    closed_page = client.get(LIST, {"show": "closed"})
    assert [row.public_id for row in closed_page.context["requests"]] == [closed.public_id]


def test_it_records_every_view_of_a_request(client, dora, alice):
    dsr = _entered(dora)
    staff_login(client, dora)
    for _ in range(2):
        response = client.get(_detail(dsr))
        assert response.status_code == 200
        assert "alice@example.org" in response.content.decode()
    reads = AuditEntry.objects.filter(action="dsar.read")
    assert reads.count() == 2
    entry = reads.first()
    assert entry.actor == dora.public_id
    assert entry.actor_role == "Privacy officer"
    assert entry.subject == alice.public_id
    assert "email" in entry.fields
    assert entry.detail["request"] == str(dsr.public_id)


def test_it_records_a_request_received_by_post_with_its_real_date(client, dora, alice):
    staff_login(client, dora)
    received = timezone.localdate() - datetime.timedelta(days=5)
    response = client.post(
        NEW,
        {
            "type": "erasure",
            "email": "alice@example.org",
            "details": "Letter of 3 pages",
            "channel": "post",
            "received_on": received.isoformat(),
            "language": "nl",
            "identity_verified": "on",
        },
    )
    dsr = DataSubjectRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _detail(dsr)
    assert timezone.localtime(dsr.received_at).date() == received
    assert dsr.entered_by == dora
    assert dsr.channel == "post"
    assert dsr.status == DataSubjectRequest.Status.OPEN
    assert dsr.account == alice
    # The clock runs from the real received date.
    assert dsr.due_on == first_deadline(received)
    (receipt,) = mails("received", to="alice@example.org")
    assert receipt.headers["Content-Language"] == "nl"
    assert actions() == ["dsar.enter", "dsar.verify"]


def test_it_refuses_a_received_date_in_the_future(client, dora):
    staff_login(client, dora)
    response = client.post(
        NEW,
        {
            "type": "access",
            "email": "someone@example.org",
            "channel": "email",
            "received_on": (timezone.localdate() + datetime.timedelta(days=1)).isoformat(),
            "language": "fr",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["received_on"]
    assert not DataSubjectRequest.objects.exists()
    with pytest.raises(services.RequestError):
        services.request_enter(
            actor=dora,
            type="access",
            email="someone@example.org",
            details="",
            language="fr",
            channel="email",
            received_at=timezone.now() + datetime.timedelta(hours=1),
            identity_verified=True,
        )


def test_it_sends_a_link_when_staff_did_not_check_identity(dora):
    dsr = _entered(dora, email="unknown@example.org", verified=False, days_ago=3)
    assert dsr.status == DataSubjectRequest.Status.UNVERIFIED
    assert mails("verify", to="unknown@example.org")
    assert not mails("received")


def test_it_extends_once_before_the_deadline_with_reasons(client, dora, time_machine):
    time_machine.move_to(datetime.datetime(2025, 1, 31, 9, tzinfo=datetime.UTC), tick=False)
    dsr = _entered(dora)
    assert dsr.due_on == datetime.date(2025, 2, 28)
    staff_login(client, dora)
    url = _detail(dsr, "request_extend")
    # Reasons are required.
    assert client.post(url, {"months": 2, "reason": ""}).status_code == 400
    time_machine.move_to(datetime.datetime(2025, 2, 28, 9, tzinfo=datetime.UTC), tick=False)
    # A month later: a new session (the last one has expired).
    staff_login(client, dora)
    response = client.post(url, {"months": 2, "reason": "Thousands of records in 4 systems."})
    assert response.status_code == 302
    assert response["Location"] == _detail(dsr)
    dsr.refresh_from_db()
    assert dsr.extended_to == datetime.date(2025, 4, 28)
    assert dsr.deadline == datetime.date(2025, 4, 28)
    (notice,) = mails("extended", to="alice@example.org")
    assert "Thousands of records in 4 systems." in notice.text_body
    assert "2025" in notice.text_body
    # Only once.
    response = client.post(url, {"months": 1, "reason": "Again"})
    assert response.status_code == 400
    assert "une seule prolongation est permise" in response.content.decode()
    dsr.refresh_from_db()
    assert dsr.extended_to == datetime.date(2025, 4, 28)
    assert len(mails("extended")) == 1
    entry = AuditEntry.objects.get(action="dsar.extend")
    assert entry.detail["months"] == 2 and entry.actor == dora.public_id


def test_it_refuses_an_extension_after_the_first_deadline(client, dora, time_machine):
    time_machine.move_to(datetime.datetime(2025, 3, 1, 9, tzinfo=datetime.UTC), tick=False)
    dsr = _entered(dora)
    assert dsr.due_on == datetime.date(2025, 3, 31)
    time_machine.move_to(datetime.datetime(2025, 4, 1, 9, tzinfo=datetime.UTC), tick=False)
    staff_login(client, dora)
    assert not client.get(_detail(dsr)).context["can_extend"]
    response = client.post(_detail(dsr, "request_extend"), {"months": 1, "reason": "Late"})
    assert response.status_code == 400
    assert "La première échéance est dépassée" in response.content.decode()
    dsr.refresh_from_db()
    assert dsr.extended_to is None
    assert not mails("extended")


def test_it_rejects_with_a_reason_sent_to_the_person(client, dora):
    dsr = _entered(dora)
    staff_login(client, dora)
    response = client.post(
        _detail(dsr, "request_reject"), {"reason": "Third identical request this month."}
    )
    assert response.status_code == 302
    dsr.refresh_from_db()
    assert dsr.status == DataSubjectRequest.Status.REJECTED
    assert dsr.closed_at is not None
    (mail,) = mails("rejected", to="alice@example.org")
    assert "Third identical request this month." in mail.text_body
    assert "dsar.reject" in actions()
    # Closed: no further action.
    response = client.post(_detail(dsr, "request_complete"), {"note": ""})
    assert response.status_code == 400


def test_it_completes_and_tells_the_person(client, dora):
    dsr = _entered(dora, type="rectification")
    staff_login(client, dora)
    response = client.post(_detail(dsr, "request_complete"), {"note": "Your name is fixed."})
    assert response.status_code == 302
    dsr.refresh_from_db()
    assert dsr.status == DataSubjectRequest.Status.COMPLETED
    (mail,) = mails("completed", to="alice@example.org")
    assert "Your name is fixed." in mail.text_body
    entry = AuditEntry.objects.get(action="dsar.complete")
    assert entry.actor == dora.public_id and entry.detail["result"] == "done"


def test_it_only_accepts_posts_for_actions(client, dora):
    dsr = _entered(dora)
    staff_login(client, dora)
    for name in ("request_fulfil", "request_complete", "request_reject", "request_extend"):
        assert client.get(_detail(dsr, name)).status_code == 405
