"""Seeds a learner with data in every app, for the export acceptance test.

One function per model of the data map, keyed by its label in ``SEEDERS``. A model added to
the data map later (linkable, with personal fields) makes the acceptance test fail until a
seeder is added here: that is how the test keeps proving the export covers *every* app.

Rows are made through the apps' services where one exists for the purpose (outbox, audit
ledger, rights), otherwise through the ORM with every personal field filled. Values contain
HTML metacharacters on purpose, to prove the export escapes them.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

from django.apps import apps
from django.utils import timezone

from cll.privacy.datamap import Role

# Text that would run a script if the readable page did not escape it.
HOSTILE = '<script>alert("x")</script> & <b>bold</b>'


def _now() -> dt.datetime:
    return timezone.now().replace(microsecond=0)


def _model(label: str):
    return apps.get_model(label)


def accounts(person, others) -> None:
    person.last_login = _now()
    person.save(update_fields=["last_login"])
    _model("accounts.LearnerProfile").objects.create(
        user=person,
        first_name="Alice",
        last_name="Liddell",
        street=f"Rue des Wallons 1 {HOSTILE}",
        postcode="1348",
        city="Louvain-la-Neuve",
        country="BE",
        phone="+32470123456",
        native_language="fr",
        learning_languages="en, nl",
        level="B1",
        objectives="Speak Dutch at work",
        birth_date=dt.date(1990, 5, 17),
        other_details="Prefers evening courses",
    )
    _model("accounts.Guardianship").objects.create(
        guardian=others["guardian"],
        child=person,
        consent_given_at=_now(),
        policy_version="2026-11",
    )
    _model("accounts.ParentalConsentRequest").objects.create(
        public_id=person.public_id,
        parent_email="parent-of-alice@example.org",
        token_hash="f" * 64,
        expires_at=_now() + dt.timedelta(days=7),
    )


def allauth(person, others) -> None:
    EmailAddress = _model("account.EmailAddress")
    address = EmailAddress.objects.create(
        user=person, email=person.email, verified=True, primary=True
    )
    confirmation = _model("account.EmailConfirmation").create(address)
    confirmation.sent = _now()
    confirmation.save()
    _model("mfa.Authenticator").objects.create(
        user=person, type="totp", data={"secret": "JBSWY3DPEHPK3PXP"}, last_used_at=_now()
    )
    _model("usersessions.UserSession").objects.create(
        user=person,
        session_key="alice-session-key",
        ip="192.0.2.10",
        user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
        last_seen_at=_now(),
        data={"device": "laptop"},
    )
    social = _model("socialaccount.SocialAccount").objects.create(
        user=person,
        provider="google",
        uid="alice-google-1234",
        extra_data={"email": person.email, "name": "Alice Liddell"},
        last_login=_now(),
    )
    _model("socialaccount.SocialToken").objects.create(
        account=social, token="tok", token_secret="sec", expires_at=_now()
    )


def admin_log(person, others) -> None:
    from django.contrib.contenttypes.models import ContentType

    _model("admin.LogEntry").objects.create(
        user=person,
        content_type=ContentType.objects.get_for_model(person),
        object_id=str(others["guardian"].pk),
        object_repr="a record Alice edited",
        action_flag=2,
        change_message='[{"changed": {"fields": ["email"]}}]',
    )


def outbox(person, others) -> None:
    from cll.core.outbox import email_queue

    email_queue(
        to=person.email,
        subject="Your session starts on Monday",
        text=f"Hello Alice, {HOSTILE}",
        html=f"<p>Hello Alice, {HOSTILE}</p>",
        subject_person=person.public_id,
        headers={"List-Unsubscribe": "<https://example.org/unsubscribe/opaque-token>"},
        kind="test",
    )


def ledger(person, others) -> None:
    from cll.privacy.services import audit_record

    audit_record(
        actor=others["officer"],
        role=Role.PRIVACY_OFFICER,
        subject=person,
        action="learner.read",
        target="accounts.LearnerProfile:x",
        fields=["first_name", "phone"],
        route="staff:learner_detail",
    )
    audit_record(actor=person, subject=person, action="profile.update", fields=["city"])
    audit_record(subject=person, action="outbox.sent")


def rights(person, others) -> None:
    from cll.rights import services

    services.restriction_set(subject=person, reason=f"My address is wrong {HOSTILE}")
    services.objection_set(subject=person, purpose="marketing")
    # The export job itself is created by the test (export_start): it is in the export too.


def dsar(person, others) -> None:
    _model("dsar.DataSubjectRequest").objects.create(
        public_id=person.public_id,
        type="access",
        email=person.email,
        details="Please send me my data",
        account=person,
    )


def erasure(person, others) -> None:
    _model("erasure.ErasureSchedule").objects.create(
        user=person, due_at=_now() + dt.timedelta(days=14), cancel_token_hash="c" * 64
    )
    _model("erasure.JournalPending").objects.create(subject=person.public_id)


def policies(person, others) -> None:
    version = _model("policies.PolicyVersion").objects.create(
        kind="privacy", version="2099-01", published_by=person
    )
    _model("policies.PolicyResponse").objects.create(
        version=version, user=person, notified_at=_now(), decision="accepted", decided_at=_now()
    )
    _model("policies.PurposeConsent").objects.create(
        user=person, purpose="newsletter", opted_in=True, changed_at=_now()
    )


def breaches(person, others) -> None:
    breach = _model("breaches.Breach").objects.create(
        title="Lost laptop",
        detected_at=_now(),
        nature="A laptop with an export was lost",
        reported_by=person,
    )
    notice = _model("breaches.BreachNotice").objects.create(
        breach=breach,
        audience="listed",
        subject="About a data breach",
        body="We lost a laptop",
        sent_at=_now(),
        sent_by=person,
    )
    _model("breaches.BreachNotification").objects.create(
        breach=breach, notice=notice, person=person.public_id, email=uuid.uuid4()
    )


def privacy_ops(person, others) -> None:
    _model("privacy.RetentionNotice").objects.create(
        subject=person.public_id,
        rule="inactive-account",
        warned_at=_now(),
        due_at=_now() + dt.timedelta(days=30),
    )


def testapp(person, others) -> None:
    _model("testapp.Secretive").objects.create(
        owner=person,
        name="Alice's secret",
        note="A note",
        email="alice.secret@example.org",
        born_on=dt.date(1990, 5, 17),
        answers={"colour": "blue"},
    )


def oauth(person, others) -> None:
    application = _model("oauth2_provider.Application").objects.create(
        user=person,
        name="Alice's app",
        client_type="confidential",
        authorization_grant_type="authorization-code",
        redirect_uris="https://example.org/callback",
    )
    expires = _now() + dt.timedelta(hours=1)
    id_token = _model("oauth2_provider.IDToken").objects.create(
        user=person, application=application, expires=expires
    )
    access = _model("oauth2_provider.AccessToken").objects.create(
        user=person,
        token="alice-access",
        application=application,
        expires=expires,
        id_token=id_token,
    )
    _model("oauth2_provider.RefreshToken").objects.create(
        user=person, token="alice-refresh", application=application, access_token=access
    )
    _model("oauth2_provider.Grant").objects.create(
        user=person,
        code="alice-code",
        application=application,
        expires=expires,
        redirect_uri="https://example.org/callback",
    )
    _model("oauth2_provider.DeviceGrant").objects.create(
        user=person,
        device_code="alice-device",
        user_code="ABCD",
        expires=expires,
        client_id=application.client_id,
    )


def shop(person, others) -> None:
    language = _model("courses.Language").objects.create(
        code="xx", name_fr="Langue", name_en="Language", name_nl="Taal"
    )
    site = _model("courses.Site").objects.create(
        slug="seed-site", name_fr="Site", name_en="Site", name_nl="Site", address="Rue 1"
    )
    today = timezone.localdate()
    session = _model("courses.Session").objects.create(
        title_fr="Anglais B1",
        title_en="English B1",
        title_nl="Engels B1",
        language=language,
        level="B1",
        format="group",
        site=site,
        starts_on=today + dt.timedelta(days=10),
        ends_on=today + dt.timedelta(days=70),
        hours=30,
        price_cents=39000,
        capacity=12,
        is_published=True,
    )
    course = _model("courses.Course").objects.create(
        session=session,
        date=today + dt.timedelta(days=10),
        starts_at=dt.time(18),
        ends_at=dt.time(20),
    )
    order = _model("shop.Order").objects.create(
        reference="SEED-0001",
        buyer=person,
        status="paid",
        billing_name=f"Alice Liddell {HOSTILE}",
        billing_address="Rue des Wallons 1, 1348 Louvain-la-Neuve",
        language="fr",
        subtotal_cents=39000,
        vat_cents=0,
        total_cents=39000,
        vat_rate_bp=0,
        terms_version="2026-11",
        terms_accepted_at=_now(),
        withdrawal_deadline=today + dt.timedelta(days=14),
        early_start_requested=False,
        hold_until=_now(),
        paid_at=_now(),
    )
    line = _model("shop.OrderLine").objects.create(
        order=order, session=session, learner=person, description="English B1", price_cents=39000
    )
    enrolment = _model("shop.Enrolment").objects.create(
        session=session, learner=person, order_line=line
    )
    _model("shop.Attendance").objects.create(enrolment=enrolment, course=course, present=True)
    payment = _model("shop.Payment").objects.create(
        order=order,
        provider="sandbox",
        provider_ref="sbx_seed",
        status="paid",
        amount_cents=39000,
        refunded_cents=1000,
        method="bancontact",
        paid_at=_now(),
    )
    refund = _model("shop.Refund").objects.create(
        payment=payment, amount_cents=1000, status="refunded", reason="Goodwill"
    )
    invoice = _model("shop.Invoice").objects.create(
        number="2099-000001",
        kind="invoice",
        year=2099,
        sequence=1,
        order=order,
        issued_at=_now(),
        subtotal_cents=39000,
        vat_cents=0,
        total_cents=39000,
    )
    _model("shop.Invoice").objects.create(
        number="NC-2099-000001",
        kind="credit_note",
        year=2099,
        sequence=1,
        order=order,
        credits=invoice,
        refund=refund,
        issued_at=_now(),
        subtotal_cents=1000,
        vat_cents=0,
        total_cents=1000,
    )
    full = _model("courses.Session").objects.create(
        title_fr="Néerlandais A2",
        title_en="Dutch A2",
        title_nl="Nederlands A2",
        language=language,
        level="A2",
        format="group",
        site=site,
        starts_on=today + dt.timedelta(days=20),
        ends_on=today + dt.timedelta(days=80),
        hours=30,
        price_cents=39000,
        capacity=1,
        is_published=True,
    )
    _model("shop.WaitlistEntry").objects.create(
        session=full, learner=person, requested_by=person, language="fr"
    )
    # A quote request and a fraud report are their own subjects (id:public_id), like a DSAR.
    _model("shop.QuoteRequest").objects.create(
        public_id=person.public_id,
        kind="company",
        account=person,
        name="Alice Liddell",
        email=person.email,
        organisation="Wonderland Ltd",
        message=f"Training for ten people {HOSTILE}",
        language="fr",
    )
    _model("shop.FraudReport").objects.create(
        public_id=person.public_id,
        account=person,
        name="Alice Liddell",
        email=person.email,
        debit_date=today - dt.timedelta(days=3),
        amount_cents=39000,
        statement_text="CLL CENTRES DE LANGUES 390,00",
        language="fr",
    )


def newsletter(person, others) -> None:
    # The person's address on a list, with its consent evidence, and one campaign sent to it.
    news = _model("newsletter.MailingList").objects.create(
        slug="seed-news",
        name_fr="Actualités",
        name_en="News",
        name_nl="Nieuws",
        description_fr="Les nouvelles",
        description_en="The news",
        description_nl="Het nieuws",
    )
    subscriber = _model("newsletter.Subscriber").objects.create(
        public_id=person.public_id,
        email=person.email,
        account=person,
        language="fr",
        unsubscribe_key="seed-" + uuid.uuid4().hex,
    )
    _model("newsletter.Subscription").objects.create(
        subscriber=subscriber,
        mailing_list=news,
        status="confirmed",
        source="form",
        confirmed_at=_now(),
        policy_version="2026-11",
        confirm_network="192.0.2.0/24",
    )
    campaign = _model("newsletter.Campaign").objects.create(title=f"Spring {HOSTILE}")
    _model("newsletter.Delivery").objects.create(
        campaign=campaign, subscriber=subscriber, status="sent", attempts=1, sent_at=_now()
    )


def helpdesk(person, others) -> None:
    # A ticket of the person with a message, an internal note, a file (quarantined: no scanner in
    # the tests) and their attachment link.
    from django.core.files.uploadedfile import SimpleUploadedFile

    from cll.core.uploads import upload_store

    ticket = _model("helpdesk.Ticket").objects.create(
        reference="CLL-SEED0001",
        person=person.public_id,
        account=person,
        name=f"Alice {HOSTILE}",
        email=person.email,
        language="fr",
        topic="courses",
        subject=f"Question {HOSTILE}",
        status="open",
        channel="form",
        access_token_hash="",
        reply_key="seed" + uuid.uuid4().hex[:20],
        first_response_due=_now(),
        resolution_due=_now(),
    )
    message = _model("helpdesk.TicketMessage").objects.create(
        ticket=ticket,
        person=person.public_id,
        author_kind="requester",
        body=f"My question {HOSTILE}",
        channel="form",
    )
    _model("helpdesk.TicketMessage").objects.create(
        ticket=ticket,
        person=person.public_id,
        author_kind="staff",
        author=others["officer"],
        body=f"Note {HOSTILE}",
        is_internal=True,
        channel="staff",
    )
    upload = upload_store(
        file=SimpleUploadedFile("notes.txt", b"My notes", content_type="text/plain"),
        subject=person.public_id,
        purpose="helpdesk.attachment",
    )
    _model("helpdesk.TicketAttachment").objects.create(
        message=message, upload=upload, person=person.public_id
    )


def chat(person, others) -> None:
    # A chat of the person (signed in when it started), a message, and a staff availability
    # row (the person as if they were staff: the model is covered like any other).
    conversation = _model("chat.Conversation").objects.create(
        person=person.public_id,
        account=person,
        token_hash="0" * 64,
        name=f"Alice {HOSTILE}",
        email=person.email,
        language="fr",
        status="ended",
        ended_at=_now(),
    )
    _model("chat.Message").objects.create(
        conversation=conversation,
        person=person.public_id,
        author_kind="visitor",
        client_id="seed-1",
        text=f"Hello {HOSTILE}",
    )
    _model("chat.StaffAvailability").objects.create(user=person, until=_now())


def feedback(person, others) -> None:
    # An invitation to rate a session (the shop's seeded one), the rating, and feedback on a
    # service.
    session = _model("courses.Session").objects.order_by("pk").first()
    invitation = _model("feedback.Invitation").objects.create(
        session=session,
        learner=person,
        recipient=person,
        language="fr",
        token_hash="1" * 64,
        expires_at=_now() + dt.timedelta(days=30),
    )
    _model("feedback.SessionRating").objects.create(
        invitation=invitation,
        session=session,
        learner=person,
        rating=4,
        comment=f"Good {HOSTILE}",
        may_quote=True,
    )
    _model("feedback.ServiceFeedback").objects.create(
        account=person, topic="website", rating=5, comment=f"Nice site {HOSTILE}"
    )


# Label -> the seeder that makes its rows (several labels may share one seeder).
SEEDERS: dict[str, Callable] = {
    "accounts.User": accounts,
    "accounts.LearnerProfile": accounts,
    "accounts.Guardianship": accounts,
    "accounts.ParentalConsentRequest": accounts,
    "account.EmailAddress": allauth,
    "account.EmailConfirmation": allauth,
    "mfa.Authenticator": allauth,
    "usersessions.UserSession": allauth,
    "socialaccount.SocialAccount": allauth,
    "socialaccount.SocialToken": allauth,
    "admin.LogEntry": admin_log,
    "core.OutboxEmail": outbox,
    "privacy.AuditEntry": ledger,
    "core.DataKey": outbox,  # made by the first encrypted value
    "rights.Restriction": rights,
    "rights.Objection": rights,
    "rights.ExportJob": rights,
    "dsar.DataSubjectRequest": dsar,
    "erasure.ErasureSchedule": erasure,
    "erasure.JournalPending": erasure,
    "policies.PolicyVersion": policies,
    "policies.PolicyResponse": policies,
    "policies.PurposeConsent": policies,
    "breaches.Breach": breaches,
    "breaches.BreachNotice": breaches,
    "breaches.BreachNotification": breaches,
    "privacy.RetentionNotice": privacy_ops,
    "shop.Order": shop,
    "shop.OrderLine": shop,
    "shop.Enrolment": shop,
    "shop.Attendance": shop,
    "shop.Payment": shop,
    "shop.Refund": shop,
    "shop.Invoice": shop,
    "shop.WaitlistEntry": shop,
    "shop.QuoteRequest": shop,
    "shop.FraudReport": shop,
    "testapp.Secretive": testapp,
    "oauth2_provider.Application": oauth,
    "oauth2_provider.AccessToken": oauth,
    "oauth2_provider.RefreshToken": oauth,
    "oauth2_provider.Grant": oauth,
    "oauth2_provider.IDToken": oauth,
    "oauth2_provider.DeviceGrant": oauth,
    "newsletter.Subscriber": newsletter,
    "newsletter.Subscription": newsletter,
    "newsletter.Delivery": newsletter,
    "helpdesk.Ticket": helpdesk,
    "helpdesk.TicketMessage": helpdesk,
    "helpdesk.TicketAttachment": helpdesk,
    "core.Upload": helpdesk,
    "chat.Conversation": chat,
    "chat.Message": chat,
    "chat.StaffAvailability": chat,
    "feedback.Invitation": feedback,
    "feedback.SessionRating": feedback,
    "feedback.ServiceFeedback": feedback,
}


def _installed(label: str) -> bool:
    try:
        apps.get_model(label)
    except LookupError:
        return False
    return True


def seed_everything(person, others) -> None:
    """Run every seeder whose models are installed, each once."""
    done = set()
    for label, seeder in SEEDERS.items():
        if seeder in done or not _installed(label):
            continue
        done.add(seeder)
        seeder(person, others)
