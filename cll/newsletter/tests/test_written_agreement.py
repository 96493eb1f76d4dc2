"""Staff subscriptions on a written agreement, and the lists pages (Marketing, Administrator)."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from cll.core.models import Upload
from cll.core.uploads import (
    scanner_status_forget,
    upload_store,
    uploads_orphans_remove,
    uploads_scan_pending,
)
from cll.newsletter import subscribers, unsubscribe
from cll.newsletter.models import (
    MailingList,
    Source,
    Subscriber,
    Subscription,
    SubscriptionStatus,
    SuppressionReason,
)
from cll.privacy.models import AuditEntry
from cll.rights.services import objection_set
from conftest import staff_login, status_text

pytestmark = pytest.mark.django_db

LISTS_URL = "/en/staff/newsletter/lists/"
WRITTEN_URL = "/en/staff/newsletter/subscribers/written/"


def make_list(slug: str, **extra) -> MailingList:
    return MailingList.objects.create(
        slug=slug,
        name_fr=f"{slug} fr",
        name_en=f"{slug} en",
        name_nl=f"{slug} nl",
        description_fr="-",
        description_en="-",
        description_nl="-",
        **extra,
    )


def subscriber_of(email: str) -> Subscriber | None:
    return subscribers.subscriber_find(email=email)


@pytest.fixture
def news():
    return make_list("news")


@pytest.fixture
def promo():
    return make_list("promo")


def written_data(*lists: MailingList, **changes) -> dict:
    data = {
        "email": "paper.person@example.net",
        "lists": [mailing_list.pk for mailing_list in lists],
        "language": "nl",
        "agreement_date": (timezone.localdate() - dt.timedelta(days=3)).isoformat(),
        "agreement_reference": "paper form 114",
    }
    data.update(changes)
    return data


def test_it_sends_anonymous_visitors_to_sign_in(client):
    for url in (LISTS_URL, WRITTEN_URL):
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("persona", ["charlie", "bob", "dora"])
def test_it_refuses_people_without_the_marketing_or_administrator_role(client, persona, request):
    staff_login(client, request.getfixturevalue(persona))
    assert client.get(LISTS_URL).status_code == 403
    assert client.get(WRITTEN_URL).status_code == 403


def test_it_records_a_written_agreement_confirmed_at_once(client, mark, news, promo):
    staff_login(client, mark)
    response = client.post(WRITTEN_URL, written_data(news, promo), follow=True)
    assert response.status_code == 200
    assert "2 lists" in status_text(response.content.decode())
    subscriber = subscriber_of("Paper.Person@example.net")
    assert subscriber.language == "nl"
    rows = Subscription.objects.filter(subscriber=subscriber).order_by("mailing_list__slug")
    assert [row.mailing_list.slug for row in rows] == ["news", "promo"]
    for row in rows:
        assert row.status == SubscriptionStatus.CONFIRMED
        assert row.source == Source.WRITTEN
        assert row.confirmed_at is not None
        assert row.agreement_reference == "paper form 114"
        assert row.agreement_date == timezone.localdate() - dt.timedelta(days=3)
        assert row.recorded_by == mark
        assert row.policy_version
    entries = AuditEntry.objects.filter(action="newsletter.consent", subject=subscriber.public_id)
    assert sorted(entry.detail["list"] for entry in entries) == ["news", "promo"]
    for entry in entries:
        assert entry.actor == mark.public_id
        assert entry.actor_role == "Marketing"
        assert entry.detail["source"] == "written"
        assert entry.detail["network"] == ""
        assert entry.route == "newsletter_staff:subscriber_written"
        assert entry.detail["policy"] == rows[0].policy_version
        assert "paper.person" not in str(entry.detail)


def test_it_lets_an_administrator_record_one(client, adam, news):
    staff_login(client, adam)
    response = client.post(WRITTEN_URL, written_data(news))
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="newsletter.consent")
    assert entry.actor_role == "Administrator"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"agreement_reference": ""}, "agreement_reference"),
        ({"agreement_date": ""}, "agreement_date"),
        ({"email": "not-an-address"}, "email"),
        ({"lists": []}, "lists"),
    ],
)
def test_it_requires_the_agreement_and_a_valid_address(client, mark, news, changes, field):
    staff_login(client, mark)
    response = client.post(WRITTEN_URL, written_data(news, **changes))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Subscription.objects.exists()
    assert not AuditEntry.objects.filter(action="newsletter.consent").exists()


def test_it_refuses_an_agreement_dated_in_the_future(client, mark, news):
    staff_login(client, mark)
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = client.post(WRITTEN_URL, written_data(news, agreement_date=tomorrow))
    assert response.status_code == 400
    assert "The date cannot be in the future." in response.content.decode()
    assert not Subscription.objects.exists()


def test_it_refuses_a_suppressed_address_with_a_clear_message(client, mark, news):
    unsubscribe.suppress(
        email="paper.person@example.net", mailing_list=None, reason=SuppressionReason.UNSUBSCRIBED
    )
    staff_login(client, mark)
    response = client.post(WRITTEN_URL, written_data(news))
    assert response.status_code == 400
    assert "cannot be subscribed again by staff" in response.content.decode()
    assert not Subscriber.objects.exists()
    assert not AuditEntry.objects.filter(action="newsletter.consent").exists()


def test_it_refuses_an_address_suppressed_for_one_of_the_lists(mark, news, promo):
    unsubscribe.suppress(
        email="paper.person@example.net", mailing_list=promo, reason=SuppressionReason.BOUNCED
    )
    with pytest.raises(subscribers.SubscriptionRefused):
        subscribers.subscription_record_written(
            staff=mark,
            email="paper.person@example.net",
            mailing_lists=[news, promo],
            language="fr",
            agreement_date=timezone.localdate(),
            agreement_reference="letter 7",
        )
    assert not Subscription.objects.exists()


def test_it_refuses_the_address_of_an_account_that_objected_to_marketing(client, mark, alice, news):
    objection_set(subject=alice, purpose="marketing")
    staff_login(client, mark)
    response = client.post(WRITTEN_URL, written_data(news, email=alice.email.upper()))
    assert response.status_code == 400
    assert "objected to marketing messages" in response.content.decode()
    assert not Subscriber.objects.exists()


def test_it_confirms_a_pending_subscription_and_keeps_a_confirmed_one(mark, news, promo):
    first = subscribers.subscription_record_written(
        staff=mark,
        email="paper.person@example.net",
        mailing_lists=[news],
        language="fr",
        agreement_date=timezone.localdate(),
        agreement_reference="letter 7",
    )
    assert len(first) == 1
    subscriber = first[0].subscriber
    Subscription.objects.create(subscriber=subscriber, mailing_list=promo, source=Source.FORM)
    again = subscribers.subscription_record_written(
        staff=mark,
        email="PAPER.person@example.net",
        mailing_lists=[news, promo],
        language="en",
        agreement_date=timezone.localdate(),
        agreement_reference="letter 8",
    )
    assert [row.mailing_list for row in again] == [promo]
    assert Subscription.objects.get(mailing_list=news).agreement_reference == "letter 7"
    promo_row = Subscription.objects.get(mailing_list=promo)
    assert promo_row.status == SubscriptionStatus.CONFIRMED
    assert promo_row.source == Source.WRITTEN
    assert Subscriber.objects.count() == 1


def test_it_links_the_subscriber_to_the_account_of_the_address(mark, alice, news):
    made = subscribers.subscription_record_written(
        staff=mark,
        email=alice.email,
        mailing_lists=[news],
        language="fr",
        agreement_date=timezone.localdate(),
        agreement_reference="event sign-up sheet",
    )
    assert made[0].subscriber.account == alice
    assert made[0].subscriber.public_id == alice.public_id


def test_it_refuses_anyone_else_in_the_service(alice, news):
    with pytest.raises(subscribers.PermissionDenied):
        subscribers.subscription_record_written(
            staff=alice,
            email="x@example.net",
            mailing_lists=[news],
            language="fr",
            agreement_date=timezone.localdate(),
            agreement_reference="letter",
        )


def test_it_has_the_database_refuse_a_written_subscription_without_its_reference(news):
    subscriber = Subscriber.objects.create(
        email="db@example.net", language="fr", unsubscribe_key=unsubscribe.unsubscribe_key_new()
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Subscription.objects.create(
            subscriber=subscriber,
            mailing_list=news,
            source=Source.WRITTEN,
            agreement_date=timezone.localdate(),
        )


# -- Lists pages ------------------------------------------------------------------------------


def _subscribe(email: str, mailing_list: MailingList, status=SubscriptionStatus.CONFIRMED):
    subscriber = subscriber_of(email) or Subscriber.objects.create(
        email=email, language="fr", unsubscribe_key=unsubscribe.unsubscribe_key_new()
    )
    return Subscription.objects.create(
        subscriber=subscriber, mailing_list=mailing_list, source=Source.FORM, status=status
    )


def test_it_shows_the_counts_per_list_without_addresses(client, mark, news, promo):
    _subscribe("one@example.net", news)
    _subscribe("two@example.net", news)
    _subscribe("three@example.net", news, SubscriptionStatus.PENDING)
    _subscribe("one@example.net", promo, SubscriptionStatus.UNSUBSCRIBED)
    staff_login(client, mark)
    response = client.get(LISTS_URL)
    assert response.status_code == 200
    counts = {
        row.slug: (row.confirmed_count, row.pending_count, row.unsubscribed_count)
        for row in response.context["lists"]
    }
    assert counts == {"news": (2, 1, 0), "promo": (0, 0, 1)}
    assert "one@example.net" not in response.content.decode()
    assert not AuditEntry.objects.filter(action="newsletter.subscriber.read").exists()


def test_it_shows_a_lists_subscribers_decrypted_and_audited(client, mark, news, promo):
    shown = _subscribe("one@example.net", news)
    other = _subscribe("elsewhere@example.net", promo)
    staff_login(client, mark)
    response = client.get(f"{LISTS_URL}news/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "one@example.net" in page
    assert "elsewhere@example.net" not in page
    entry = AuditEntry.objects.get(action="newsletter.subscriber.read")
    assert entry.subject == shown.subscriber.public_id
    assert entry.actor == mark.public_id
    assert "email" in entry.fields
    assert not AuditEntry.objects.filter(subject=other.subscriber.public_id).exists()


def test_it_finds_a_subscriber_by_exact_address(client, mark, news):
    _subscribe("one@example.net", news)
    found = _subscribe("two@example.net", news)
    staff_login(client, mark)
    response = client.get(f"{LISTS_URL}news/", {"email": "TWO@example.net"})
    page = response.content.decode()
    assert "two@example.net" in page
    assert "one@example.net" not in page
    assert [entry.subject for entry in AuditEntry.objects.filter(action__endswith=".read")] == [
        found.subscriber.public_id
    ]
    # No partial match: the blind index finds exact addresses only.
    response = client.get(f"{LISTS_URL}news/", {"email": "two@example.com"})
    assert "two@example.net" not in response.content.decode()


def test_it_pages_the_subscribers(client, mark, news):
    for number in range(subscribers.SUBSCRIBERS_PER_PAGE + 3):
        _subscribe(f"person{number}@example.net", news)
    staff_login(client, mark)
    first = client.get(f"{LISTS_URL}news/")
    assert len(first.context["page"]) == subscribers.SUBSCRIBERS_PER_PAGE
    second = client.get(f"{LISTS_URL}news/", {"page": 2})
    assert len(second.context["page"]) == 3


def test_it_answers_404_for_an_unknown_list(client, mark):
    staff_login(client, mark)
    assert client.get(f"{LISTS_URL}nope/").status_code == 404


# -- The scanned agreement (issue 14: "an optional scanned document, stored like other uploads")


PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def scanned(data: bytes = PDF, name: str = "agreement 114.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def document_url(upload: Upload) -> str:
    return f"/en/staff/newsletter/subscribers/agreements/{upload.public_id}/"


@pytest.fixture
def recorded(mark, news, promo, clamd) -> Upload:
    """A written agreement for two lists with its scanned document, stored clean."""
    made = subscribers.subscription_record_written(
        staff=mark,
        email="paper.person@example.net",
        mailing_lists=[news, promo],
        language="fr",
        agreement_date=timezone.localdate(),
        agreement_reference="paper form 114",
        document=scanned(),
    )
    return made[0].agreement_document


def test_it_keeps_the_scanned_agreement_with_every_subscription_it_covers(
    client, mark, news, promo, clamd
):
    staff_login(client, mark)
    response = client.post(WRITTEN_URL, written_data(news, promo, agreement_document=scanned()))
    assert response.status_code == 302
    subscriber = subscriber_of("paper.person@example.net")
    rows = Subscription.objects.filter(subscriber=subscriber)
    uploads = {row.agreement_document for row in rows}
    assert len(uploads) == 1
    upload = uploads.pop()
    assert upload.status == Upload.Status.CLEAN
    assert upload.purpose == "newsletter.agreement"
    assert upload.subject == subscriber.public_id
    assert upload.filename == "agreement 114.pdf"
    assert Upload.objects.count() == 1
    for entry in AuditEntry.objects.filter(action="newsletter.consent"):
        assert entry.detail["agreement_document"] == str(upload.public_id)


def test_it_stores_no_document_when_no_subscription_is_made(mark, news, recorded):
    again = subscribers.subscription_record_written(
        staff=mark,
        email="paper.person@example.net",
        mailing_lists=[news],
        language="fr",
        agreement_date=timezone.localdate(),
        agreement_reference="paper form 115",
        document=scanned(),
    )
    assert again == []
    assert list(Upload.objects.all()) == [recorded]


def test_it_refuses_an_agreement_with_malware_and_subscribes_no_one(client, mark, news, clamd):
    staff_login(client, mark)
    data = written_data(news, agreement_document=scanned(clamd.eicar(), "scan.pdf"))
    response = client.post(WRITTEN_URL, data)
    assert response.status_code == 400
    assert response.context["form"].errors["agreement_document"] == [
        "This file contains malware and was refused."
    ]
    assert not Subscriber.objects.exists()
    assert not Subscription.objects.exists()
    assert not Upload.objects.exists()
    assert not AuditEntry.objects.filter(action="newsletter.consent").exists()


def test_it_refuses_a_document_that_is_not_a_document(client, mark, news, clamd):
    staff_login(client, mark)
    program = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 120
    response = client.post(WRITTEN_URL, written_data(news, agreement_document=scanned(program)))
    assert response.status_code == 400
    assert "This type of file is not accepted" in response.content.decode()
    assert not Subscription.objects.exists()
    assert not Upload.objects.exists()


def test_it_asks_for_the_file_in_a_multipart_form(client, mark, clamd):
    staff_login(client, mark)
    page = client.get(WRITTEN_URL).content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert 'name="agreement_document"' in page
    assert "The malware scanner is not available" not in page


@pytest.mark.parametrize(
    ("persona", "role"),
    [("mark", "Marketing"), ("adam", "Administrator"), ("dora", "Privacy officer")],
)
def test_it_lets_the_agreements_readers_download_it_audited(
    client, recorded, persona, role, request
):
    reader = request.getfixturevalue(persona)
    staff_login(client, reader)
    response = client.get(document_url(recorded))
    assert response.status_code == 200
    assert response.content == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        "attachment; filename=\"agreement 114.pdf\"; filename*=UTF-8''agreement%20114.pdf"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert "no-store" in response["Cache-Control"]
    entry = AuditEntry.objects.get(action="newsletter.agreement.read")
    assert entry.actor == reader.public_id
    assert entry.actor_role == role
    assert entry.subject == recorded.subject
    assert entry.fields == ["agreement_document"]
    assert entry.route == "newsletter_staff:agreement_document"


def test_it_sends_anonymous_visitors_to_sign_in_for_the_document(client, recorded):
    response = client.get(document_url(recorded))
    assert response.status_code == 302
    assert response.headers["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("persona", ["charlie", "bob", "cecile", "bill"])
def test_it_refuses_the_document_to_anyone_else(client, recorded, persona, request):
    staff_login(client, request.getfixturevalue(persona))
    assert client.get(document_url(recorded)).status_code == 403
    assert not AuditEntry.objects.filter(action="newsletter.agreement.read").exists()


def test_it_serves_no_other_file_through_the_agreements_address(client, adam, clamd):
    other = upload_store(file=scanned(), subject=adam.public_id, purpose="helpdesk.attachment")
    staff_login(client, adam)
    assert client.get(document_url(other)).status_code == 404
    assert (
        client.get(f"/en/staff/newsletter/subscribers/agreements/{uuid.uuid4()}/").status_code
        == 404
    )
    assert not AuditEntry.objects.filter(action="newsletter.agreement.read").exists()


def test_it_keeps_a_document_quarantined_while_the_scanner_is_down(client, mark, news, clamd):
    clamd.stop()
    scanner_status_forget()
    staff_login(client, mark)
    page = client.get(WRITTEN_URL).content.decode()
    assert "The malware scanner is not available" in page
    response = client.post(WRITTEN_URL, written_data(news, agreement_document=scanned()))
    assert response.status_code == 302
    upload = Subscription.objects.get().agreement_document
    assert upload.status == Upload.Status.PENDING
    assert client.get(document_url(upload)).status_code == 404
    listing = client.get(f"{LISTS_URL}news/").content.decode()
    assert "Quarantined: waiting for the malware scan" in listing
    assert document_url(upload) not in listing
    assert not AuditEntry.objects.filter(action="newsletter.agreement.read").exists()
    clamd.start()
    assert uploads_scan_pending() == 1
    assert client.get(document_url(upload)).status_code == 200


def test_it_links_the_document_from_the_lists_subscribers(client, mark, recorded):
    staff_login(client, mark)
    page = client.get(f"{LISTS_URL}news/").content.decode()
    assert f'href="{document_url(recorded)}"' in page


def test_it_deletes_documents_no_subscription_refers_to(
    recorded, django_capture_on_commit_callbacks
):
    assert subscribers.agreement_documents_unused_delete() == 0
    Subscription.objects.filter(agreement_document=recorded).delete()
    with django_capture_on_commit_callbacks(execute=True):
        assert subscribers.agreement_documents_unused_delete() == 1
    assert not Upload.objects.exists()


def test_it_erases_the_document_with_the_person(recorded, settings):
    from cll.erasure.engine import erase_subject

    with transaction.atomic():
        erase_subject(subject=recorded.subject)
    assert not Subscription.objects.exists()
    assert not Upload.objects.exists()
    # The sealed file's key is destroyed; the daily clean-up removes the file itself.
    assert uploads_orphans_remove(grace=dt.timedelta(0)) == 1
    assert list(Path(settings.UPLOAD_DIR).iterdir()) == []
