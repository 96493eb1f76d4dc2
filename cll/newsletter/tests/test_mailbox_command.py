"""manage.py newsletter_mailbox: bounce reports, complaints and unsubscribe e-mails."""

from __future__ import annotations

import io
import mailbox
from email.message import EmailMessage, Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest
from django.core.management import CommandError, call_command

from cll.newsletter import unsubscribe
from cll.newsletter.models import (
    Source,
    Subscriber,
    Subscription,
    SubscriptionStatus,
    Suppression,
    SuppressionReason,
)
from cll.newsletter.tests.test_written_agreement import make_list
from cll.privacy.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscriber():
    news = make_list("news")
    person = Subscriber.objects.create(
        email="reader@example.net", language="fr", unsubscribe_key=unsubscribe.unsubscribe_key_new()
    )
    Subscription.objects.create(
        subscriber=person,
        mailing_list=news,
        source=Source.FORM,
        status=SubscriptionStatus.CONFIRMED,
    )
    return person


def _report(report_type: str, human: str, machine: Message, original: Message) -> bytes:
    message = MIMEMultipart("report", report_type=report_type)
    message["From"] = "MAILER-DAEMON@mx.example.net"
    message["To"] = "bounces@cll.example"
    message["Subject"] = "Report"
    message.attach(MIMEText(human))
    message.attach(machine)
    wrapper = MIMEBase("message", "rfc822")
    wrapper.set_payload([original])
    message.attach(wrapper)
    return message.as_bytes()


def _original(to: str = "reader@example.net") -> Message:
    original = EmailMessage()
    original["From"] = "news@cll.example"
    original["To"] = to
    original["Subject"] = "Our news"
    original.set_content("Hello")
    return original


def dsn(recipient: str, status: str, action: str = "failed") -> bytes:
    machine = MIMEBase("message", "delivery-status")
    per_message = Message()
    per_message["Reporting-MTA"] = "dns; mx.example.net"
    per_recipient = Message()
    per_recipient["Final-Recipient"] = f"rfc822; {recipient}"
    per_recipient["Action"] = action
    per_recipient["Status"] = status
    machine.set_payload([per_message, per_recipient])
    return _report("delivery-status", "Delivery failed.", machine, _original(recipient))


def arf(recipient: str | None) -> bytes:
    machine = MIMEBase("message", "feedback-report")
    lines = ["Feedback-Type: abuse", "User-Agent: SomeISP/1.0", "Version: 1"]
    if recipient:
        lines.append(f"Original-Rcpt-To: {recipient}")
    machine.set_payload("\r\n".join(lines) + "\r\n")
    return _report(
        "feedback-report", "A complaint.", machine, _original(recipient or "reader@example.net")
    )


def unsubscribe_mail(key: str) -> bytes:
    message = EmailMessage()
    message["From"] = "reader@example.net"
    message["To"] = "unsubscribe@cll.example"
    message["Subject"] = f"unsubscribe-{key}"
    message.set_content("")
    return message.as_bytes()


def chatter() -> bytes:
    message = EmailMessage()
    message["From"] = "someone@example.net"
    message["Subject"] = "Question about courses"
    message.set_content("Hello?")
    return message.as_bytes()


def maildir_with(path, *raws: bytes) -> mailbox.Maildir:
    box = mailbox.Maildir(path, create=True)
    for raw in raws:
        box.add(raw)
    return box


def run(**options) -> str:
    out = io.StringIO()
    arguments = [part for name, value in options.items() for part in (f"--{name}", str(value))]
    call_command("newsletter_mailbox", *arguments, stdout=out)
    return out.getvalue()


def test_it_suppresses_a_permanent_bounce_and_moves_it(tmp_path, subscriber):
    box = maildir_with(tmp_path / "inbox", dsn("Reader@example.net", "5.1.1"))
    output = run(maildir=tmp_path / "inbox")
    assert "suppressed=1" in output
    assert subscriber.subscriptions.get().status == SubscriptionStatus.UNSUBSCRIBED
    assert Suppression.objects.get(mailing_list=None).reason == SuppressionReason.BOUNCED
    entry = AuditEntry.objects.get(action="newsletter.bounce")
    assert entry.detail == {
        "channel": "mailbox",
        "kind": "bounce",
        "permanent": True,
        "status": "5.1.1",
    }
    assert len(box) == 0
    assert len(box.get_folder("processed")) == 1


def test_it_only_counts_a_soft_bounce(tmp_path, subscriber):
    maildir_with(tmp_path / "inbox", dsn("reader@example.net", "4.2.2", action="delayed"))
    output = run(maildir=tmp_path / "inbox")
    assert "soft=1" in output
    assert not Suppression.objects.exists()
    assert subscriber.subscriptions.get().status == SubscriptionStatus.CONFIRMED


@pytest.mark.parametrize("recipient", ["reader@example.net", None])
def test_it_suppresses_a_complaint(tmp_path, subscriber, recipient):
    maildir_with(tmp_path / "inbox", arf(recipient))
    assert "suppressed=1" in run(maildir=tmp_path / "inbox")
    assert Suppression.objects.get().reason == SuppressionReason.COMPLAINED


def test_it_applies_an_unsubscribe_request_to_the_mailto(tmp_path, subscriber):
    maildir_with(tmp_path / "inbox", unsubscribe_mail(subscriber.unsubscribe_key))
    assert "unsubscribed=1" in run(maildir=tmp_path / "inbox")
    assert subscriber.subscriptions.get().status == SubscriptionStatus.UNSUBSCRIBED
    entry = AuditEntry.objects.get(action="newsletter.unsubscribe")
    assert entry.detail["how"] == "mailto"


def test_it_ignores_an_unknown_key(tmp_path, subscriber):
    box = maildir_with(tmp_path / "inbox", unsubscribe_mail("x" * 43))
    assert "ignored=1" in run(maildir=tmp_path / "inbox")
    assert subscriber.subscriptions.get().status == SubscriptionStatus.CONFIRMED
    # Applied (nothing to do): it leaves the inbox.
    assert len(box) == 0


def test_it_leaves_other_mail_for_a_person(tmp_path, subscriber):
    box = maildir_with(tmp_path / "inbox", chatter())
    assert "unrecognised=1" in run(maildir=tmp_path / "inbox")
    assert len(box) == 1
    assert not Suppression.objects.exists()


def test_it_is_idempotent(tmp_path, subscriber):
    raw = dsn("reader@example.net", "5.1.1")
    maildir_with(tmp_path / "inbox", raw)
    run(maildir=tmp_path / "inbox")
    assert "suppressed=0" in run(maildir=tmp_path / "inbox")
    # The same report delivered twice (a crash between copy and removal) changes nothing more.
    maildir_with(tmp_path / "inbox", raw)
    run(maildir=tmp_path / "inbox")
    assert Suppression.objects.count() == 1


def test_it_reads_an_mbox(tmp_path, subscriber):
    path = tmp_path / "bounces.mbox"
    box = mailbox.mbox(path)
    box.add(dsn("reader@example.net", "5.0.0"))
    box.add(chatter())
    box.flush()
    box.close()
    assert "suppressed=1 unsubscribed=0 soft=0 ignored=0 unrecognised=1" in run(mbox=path)
    assert len(mailbox.mbox(path)) == 1
    assert len(mailbox.mbox(tmp_path / "bounces.mbox.processed")) == 1


def test_it_refuses_a_missing_mailbox(tmp_path):
    with pytest.raises(CommandError):
        run(maildir=tmp_path / "nope")
    with pytest.raises(CommandError):
        run(mbox=tmp_path / "nope.mbox")
