"""The shared SMTP test server (cll/lib/testing/smtp.py) behaves like a relay going down."""

from __future__ import annotations

import smtplib

import pytest


def test_it_records_what_it_receives(smtp_server):
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=5) as client:
        client.sendmail(
            "info@cll.be",
            ["alice@example.org"],
            b"Message-ID: <m1@cll.test>\r\nSubject: Hi\r\n\r\nBody\r\n",
        )

    (received,) = smtp_server.wait_for(1)
    assert received.mail_from == "info@cll.be"
    assert received.rcpt_tos == ("alice@example.org",)
    assert received.message_id == "<m1@cll.test>"
    assert received.message["Subject"] == "Hi"


def test_it_stops_and_starts_again_on_the_same_port(smtp_server):
    port = smtp_server.port
    smtp_server.stop()
    with pytest.raises(ConnectionRefusedError):
        smtplib.SMTP(smtp_server.host, port, timeout=5)

    smtp_server.start()

    assert smtp_server.port == port
    with smtplib.SMTP(smtp_server.host, port, timeout=5) as client:
        assert client.noop()[0] == 250


def test_it_answers_with_the_configured_error(smtp_server):
    smtp_server.rcpt_reply = "550 5.1.1 No such user"
    with (
        smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=5) as client,
        pytest.raises(smtplib.SMTPRecipientsRefused) as refused,
    ):
        client.sendmail("info@cll.be", ["nobody@example.org"], b"Subject: x\r\n\r\nx\r\n")
    assert refused.value.recipients["nobody@example.org"][0] == 550
    assert smtp_server.messages == []


def test_it_points_djangos_mailer_at_itself(smtp_server, settings):
    from django.core.mail import mailers

    backend = mailers.default
    assert (backend.host, backend.port) == (smtp_server.host, smtp_server.port)
