"""Development delivery (no SMTP relay): one .eml file per message in var/mail/, which a mail
client opens and a text editor shows with whole links."""

from __future__ import annotations

import ast
import email
import email.policy
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.mail import EmailMultiAlternatives

from cll.core.mail import EmlFileBackend
from cll.core.models import OutboxEmail
from cll.core.outbox import Outcome, email_deliver, email_queue_template

pytestmark = pytest.mark.django_db

LINK = "https://www.cll.be/nl/account/password/reset/key/" + "k" * 90 + "-set-password/"


def parse(path):
    with path.open("rb") as handle:
        return email.message_from_binary_file(handle, policy=email.policy.default)


def test_the_development_settings_write_eml_files(tmp_path):
    # The test settings swap the mailer for Django's in-memory one: read the development ones.
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CLL_", "EMAIL_", "DJANGO_"))
    }
    environment.update(CLL_ENV="development", CLL_VAR_DIR=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "-c", "from cll import settings; print(settings.MAILERS)"],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[3],
    )
    mailers = ast.literal_eval(result.stdout.strip())
    assert mailers["default"] == {
        "BACKEND": "cll.core.mail.EmlFileBackend",
        "OPTIONS": {"file_path": str(tmp_path / "mail")},
    }


def test_it_writes_one_eml_file_per_message(tmp_path):
    backend = EmlFileBackend(file_path=str(tmp_path))
    messages = [
        EmailMultiAlternatives(f"Sujet {n} é", f"Bonjour {n}", "info@cll.be", ["a@example.org"])
        for n in range(3)
    ]
    assert backend.send_messages(messages) == 3

    files = sorted(tmp_path.iterdir())
    assert [path.suffix for path in files] == [".eml"] * 3
    assert sorted(str(parse(path)["Subject"]) for path in files) == [
        "Sujet 0 é",
        "Sujet 1 é",
        "Sujet 2 é",
    ]


def test_a_queued_e_mail_lands_as_a_message_a_mail_client_reads(
    tmp_path, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://www.cll.be"
    with django_capture_on_commit_callbacks(execute=False):
        queued = email_queue_template(
            to="alice@example.org",
            template_prefix="emails/parental_consent",
            context={"link": LINK},
            language="nl",
        )

    outcome = email_deliver(email_id=queued.pk, connection=EmlFileBackend(file_path=str(tmp_path)))
    assert outcome == Outcome.SENT
    assert OutboxEmail.objects.get(pk=queued.pk).status == OutboxEmail.Status.SENT

    (path,) = tmp_path.iterdir()
    raw = path.read_bytes()
    message = parse(path)
    assert message["To"] == "alice@example.org"
    assert message["Message-ID"] == queued.message_id
    assert message["Content-Language"] == "nl"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "CLL Centres de Langues" in text and "CLL Centres de Langues" in html
    # Whole links: in the decoded parts, and in the file itself (8bit, not quoted-printable).
    assert LINK in text.splitlines()
    assert f'<a href="{LINK}">{LINK}</a>' in html
    assert LINK.encode() in raw
    assert b"quoted-printable" not in raw and b"=3D" not in raw


def test_it_keeps_a_line_too_long_for_8bit_encoded(tmp_path):
    long_line = "x" * 2000
    EmlFileBackend(file_path=str(tmp_path)).send_messages(
        [EmailMultiAlternatives("Long", long_line, "info@cll.be", ["a@example.org"])]
    )
    (path,) = tmp_path.iterdir()
    message = parse(path)
    assert message["Content-Transfer-Encoding"] != "8bit"
    assert message.get_content().strip() == long_line
