"""The staff CSV import of subscribers: all or nothing, with a report per row."""

from __future__ import annotations

import html

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from cll.newsletter import subscribers, unsubscribe
from cll.newsletter.models import (
    Source,
    Subscriber,
    Subscription,
    SubscriptionStatus,
    SuppressionReason,
)
from cll.newsletter.tests.test_written_agreement import make_list
from cll.privacy.models import AuditEntry
from cll.rights.services import objection_set
from conftest import staff_login, status_text

pytestmark = pytest.mark.django_db

IMPORT_URL = "/en/staff/newsletter/subscribers/import/"
HEADER = "email,language,lists,consent_evidence\r\n"


@pytest.fixture
def lists():
    return make_list("news"), make_list("promo")


def csv_bytes(*rows: str, header: str = HEADER, bom: bool = False) -> bytes:
    text = header + "".join(row + "\r\n" for row in rows)
    return ("\ufeff" if bom else "").encode() + text.encode("utf-8")


def upload(client, data: bytes, language: str = "en"):
    return client.post(
        IMPORT_URL.replace("/en/", f"/{language}/"),
        {"file": SimpleUploadedFile("people.csv", data, content_type="text/csv")},
    )


def run(staff, data: bytes) -> subscribers.ImportReport:
    return subscribers.subscriber_import(staff=staff, data=data)


def test_it_sends_anonymous_visitors_to_sign_in(client):
    response = client.get(IMPORT_URL)
    assert response.status_code == 302


def test_it_refuses_a_stranger_and_a_teacher(client, charlie, bob):
    for person in (charlie, bob):
        staff_login(client, person)
        assert client.get(IMPORT_URL).status_code == 403
        assert client.post(IMPORT_URL).status_code == 403


@pytest.mark.parametrize("bom", [False, True])
def test_it_imports_confirmed_subscriptions_with_the_evidence(client, mark, lists, bom):
    staff_login(client, mark)
    data = csv_bytes(
        "Anne@example.net,fr,news|promo,paper form 2026-03-02 ref 114",
        "bert@example.net,nl,promo,fair stand 2026-02-10 sheet 3",
        bom=bom,
    )
    response = upload(client, data)
    assert response.status_code == 302
    anne = subscribers.subscriber_find(email="anne@example.net")
    assert anne.language == "fr"
    rows = Subscription.objects.filter(subscriber=anne)
    assert {row.mailing_list.slug for row in rows} == {"news", "promo"}
    assert all(row.status == SubscriptionStatus.CONFIRMED for row in rows)
    assert all(row.source == Source.IMPORT and row.recorded_by == mark for row in rows)
    entries = AuditEntry.objects.filter(action="newsletter.consent", subject=anne.public_id)
    assert {entry.detail["evidence"] for entry in entries} == {"paper form 2026-03-02 ref 114"}
    assert {entry.detail["source"] for entry in entries} == {"import"}
    assert all(entry.detail["network"] == "" for entry in entries)
    summary = AuditEntry.objects.get(action="newsletter.import")
    assert summary.detail == {"rows": 2, "subscribed": 3, "already": 0, "suppressed": 0}
    # The ledger holds no address.
    for entry in AuditEntry.objects.all():
        assert "@example.net" not in str(entry.detail)


def test_it_follows_the_page_with_the_counts(client, mark, lists):
    staff_login(client, mark)
    response = client.post(
        IMPORT_URL,
        {
            "file": SimpleUploadedFile(
                "p.csv", csv_bytes("anne@example.net,fr,news,paper form 1"), "text/csv"
            )
        },
        follow=True,
    )
    assert "1 subscriptions recorded" in status_text(response.content.decode())


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("not-an-address,fr,news,form 1", "Line 3: The e-mail address is not valid."),
        ("zed@example.net,de,news,form 1", "Line 3: Unknown language “de”"),
        ("zed@example.net,fr,news|nope,form 1", "Line 3: Unknown list: nope."),
        ("zed@example.net,fr,,form 1", "Line 3: No list is given."),
        ("zed@example.net,fr,news,", "Line 3: The consent evidence is missing"),
        ("zed@example.net,fr,news,  ", "Line 3: The consent evidence is missing"),
        ('zed@example.net,fr,news,"form\r\n1"', "Line 3: A field contains a line break."),
        ('"zed@example.net\nBcc: x@y.z",fr,news,form 1', "A field contains a line break."),
        ("ANNE@example.net,fr,news,form 2", "Line 3: The e-mail address is already on line 2."),
        ("zed@example.net,fr,news", "Line 3: This row has 3 fields instead of 4."),
        ("zed@example.net,fr,news,asked by zed@example.net", "must not contain an e-mail"),
    ],
)
def test_it_imports_nothing_when_a_row_is_bad(client, mark, lists, row, message):
    staff_login(client, mark)
    data = csv_bytes("anne@example.net,fr,news,paper form 1", row)
    response = upload(client, data)
    assert response.status_code == 400
    assert message in response.content.decode().replace("&#x27;", "'")
    assert not Subscriber.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="newsletter.").exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (csv_bytes("anne@example.net,news,form", header="email,lists,evidence\r\n"), "columns"),
        ("email,language,lists,consent_evidence\r\né,fr,news,x\r\n".encode("latin-1"), "UTF-8"),
        (b"", "The file is empty."),
    ],
)
def test_it_refuses_a_file_of_the_wrong_shape(mark, lists, data, message):
    with translation.override("en"):
        report = run(mark, data)
    assert not report.ok
    assert report.errors[0][0] == 0
    assert message in report.errors[0][1]
    assert not Subscriber.objects.exists()


def test_it_reports_in_the_staff_members_language(client, mark, lists):
    staff_login(client, mark)
    response = upload(client, csv_bytes("bad,fr,news,form 1"), language="fr")
    with translation.override("fr"):
        expected = translation.gettext("The e-mail address is not valid.")
    assert expected != "The e-mail address is not valid."
    assert expected in html.unescape(response.content.decode())


def test_it_skips_and_counts_suppressed_addresses(mark, lists):
    news, promo = lists
    unsubscribe.suppress(
        email="gone@example.net", mailing_list=None, reason=SuppressionReason.UNSUBSCRIBED
    )
    unsubscribe.suppress(
        email="half@example.net", mailing_list=promo, reason=SuppressionReason.BOUNCED
    )
    report = run(
        mark,
        csv_bytes(
            "Gone@example.net,fr,news,form 1",
            "half@example.net,fr,news|promo,form 2",
            "new@example.net,en,news,form 3",
        ),
    )
    assert report.ok
    assert report.suppressed == 1
    assert report.subscribed == 2
    assert subscribers.subscriber_find(email="gone@example.net") is None
    half = subscribers.subscriber_find(email="half@example.net")
    assert [row.mailing_list for row in half.subscriptions.all()] == [news]


def test_it_skips_the_address_of_an_account_that_objected_to_marketing(mark, alice, lists):
    objection_set(subject=alice, purpose="marketing")
    report = run(mark, csv_bytes(f"{alice.email},fr,news,form 1"))
    assert report.ok
    assert report.suppressed == 1
    assert not Subscriber.objects.exists()


@pytest.mark.usefixtures("lists")
def test_it_leaves_existing_subscriptions_as_they_were(mark):
    assert run(mark, csv_bytes("anne@example.net,fr,news,form 1")).subscribed == 1
    first = Subscription.objects.get()
    report = run(mark, csv_bytes("anne@example.net,nl,news,form 2"))
    assert report.already == 1 and report.subscribed == 0
    again = Subscription.objects.get()
    assert again.confirmed_at == first.confirmed_at
    assert again.subscriber.language == "fr"


def test_it_keeps_nothing_half_imported_when_writing_fails(mark, lists, monkeypatch):
    calls = []

    def failing_audit(**kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return original(**kwargs)

    original = subscribers.audit_record
    monkeypatch.setattr(subscribers, "audit_record", failing_audit)
    with pytest.raises(RuntimeError):
        run(mark, csv_bytes("anne@example.net,fr,news,form 1", "bert@example.net,fr,news,form 2"))
    assert not Subscriber.objects.exists()
    assert not Subscription.objects.exists()
