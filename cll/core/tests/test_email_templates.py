"""Every e-mail the site sends (ours and allauth's) is branded, translated, and has a text and an
HTML part: found from the templates, so a new e-mail is checked without editing this test."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.utils import translation

from cll.core.emails import email_render
from cll.core.outbox import email_queue

pytestmark = pytest.mark.django_db

SCHOOL = "CLL Centres de Langues"
SITE_URL = "https://www.cll.be"
LINK = f"{SITE_URL}/fr/account/password/reset/key/{'k' * 60}-set-password/"
# Every variable the e-mail templates use, with plausible values.
CONTEXT = {
    "activate_url": LINK,
    "password_reset_url": LINK,
    "signup_url": LINK,
    "link": LINK,
    "privacy_url": LINK,
    "policy_url": LINK,
    "profile_url": LINK,
    "login_path": "/fr/account/login/",
    "code": "",
    "email": "alice@example.org",
    "from_email": "old@example.org",
    "to_email": "alice@example.org",
    "deleted_email": "old@example.org",
    "provider": SimpleNamespace(name="Google"),
    "timestamp": dt.datetime(2026, 12, 6, 10, 0, tzinfo=dt.UTC),
    "ip": "203.0.113.5",
    "user_agent": "Firefox",
    "reference": "R-2026-0042",
    "received": dt.date(2026, 12, 1),
    "deadline": dt.date(2026, 12, 31),
    "due_at": dt.datetime(2027, 1, 31, tzinfo=dt.UTC),
    "days": 5,
    "expiry_days": 7,
    "type_label": "Access",
    "version": SimpleNamespace(kind="privacy", version="2027-01"),
    "changes": "A new section.",
    "person": uuid.UUID(int=42),
    "subject": "Incident",
    "body": "Message written by the privacy officer.",
}
# Messages whose subject a staff member writes (in the recipients' language); the frame and
# the standard sentences around their text are translated.
WRITTEN_SUBJECTS = {"emails/privacy_breach_notice.txt"}


def _template_roots() -> list[Path]:
    roots = [Path(path) for engine in settings.TEMPLATES for path in engine["DIRS"]]
    roots += sorted(Path(settings.BASE_DIR, "cll").glob("*/templates"))
    return roots


def message_templates() -> list[tuple[str, str]]:
    """(subject template, text template) of every e-mail: ours (``emails/<name>``) and
    allauth's (``<app>/email/<name>_message``)."""
    found = set()
    for root in _template_roots():
        for subject in root.glob("emails/*_subject.txt"):
            name = subject.relative_to(root).as_posix().removesuffix("_subject.txt")
            found.add((f"{name}_subject.txt", f"{name}.txt"))
        for subject in root.glob("*/email/*_subject.txt"):
            name = subject.relative_to(root).as_posix().removesuffix("_subject.txt")
            found.add((f"{name}_subject.txt", f"{name}_message.txt"))
    return sorted(found)


TEMPLATES = message_templates()


def test_it_finds_every_kind_of_e_mail():
    names = {text for _subject, text in TEMPLATES}
    assert {
        "emails/dsar_received.txt",
        "emails/parental_consent.txt",
        "account/email/email_confirmation_signup_message.txt",
        "account/email/password_reset_key_message.txt",
        "account/email/unknown_account_message.txt",
        "mfa/email/totp_activated_message.txt",
        "socialaccount/email/account_connected_message.txt",
    } <= names
    assert len(names) >= 35


def render(subject: str, text: str, language: str):
    return email_render(
        subject_template=subject, text_template=text, context=CONTEXT, language=language
    )


@pytest.mark.parametrize(("subject", "text"), TEMPLATES, ids=[t for _s, t in TEMPLATES])
def test_every_e_mail_is_branded_translated_and_has_both_parts(settings, subject, text):
    settings.SITE_URL = SITE_URL
    english = render(subject, text, "en")
    for language in ("fr", "en", "nl"):
        email = render(subject, text, language)
        assert email.subject and email.text.strip() and email.html.strip()
        assert SCHOOL in email.text and SCHOOL in email.html
        for part in (email.subject, email.text, email.html):
            assert "127.0.0.1" not in part and "testserver" not in part
        # One frame, self-contained: inline styles only, nothing fetched from elsewhere.
        assert f'<html lang="{language}">' in email.html
        for tag in ("<img", "<style", "<link", "<script", "src="):
            assert tag not in email.html
        if LINK in email.text:
            assert f'<a href="{LINK}">{LINK}</a>' in email.html
        if language != "en":
            # In the recipient's language: subject and text are not the English ones.
            if text not in WRITTEN_SUBJECTS:
                assert email.subject != english.subject
            assert email.text != english.text
            with translation.override(language):
                footer = translation.gettext("Questions about your personal data: %(email)s")
            assert footer.split(":")[0] in email.html


def test_the_html_part_escapes_what_the_text_carries(settings):
    email = email_render(
        subject_template="emails/dsar_received_subject.txt",
        text_template="emails/dsar_received.txt",
        context={**CONTEXT, "reference": "<b>R&1</b>"},
        language="en",
    )
    assert "<b>R&1</b>" in email.text
    assert "&lt;b&gt;R&amp;1&lt;/b&gt;" in email.html and "<b>R&1" not in email.html


def test_a_message_queued_as_text_only_gets_the_html_frame(settings):
    settings.SITE_URL = SITE_URL
    email = email_queue(
        to="alice@example.org",
        subject="Objet",
        text=f"Bonjour,\n\n{LINK}\n\n-- \n{SCHOOL}",
        headers={"Content-Language": "nl"},
    )
    assert '<html lang="nl">' in email.html_body and SCHOOL in email.html_body
    assert f'<a href="{LINK}">{LINK}</a>' in email.html_body
    # The text carries its own signature: the frame adds none.
    assert email.html_body.count("privacy@cll.be") == 0


def test_the_site_name_in_allauth_e_mails_is_the_school_not_the_host():
    from cll.accounts.adapter import AccountAdapter

    site = AccountAdapter()._mail_context("alice@example.org", {})["current_site"]
    assert site.name.startswith(SCHOOL)
