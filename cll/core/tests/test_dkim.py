"""DKIM signatures on outgoing mail: a message delivered through a real SMTP server verifies
against the public key, and any change to a signed header or the body breaks it."""

from __future__ import annotations

import base64
import datetime as dt

import dkim
import pytest
import time_machine
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from cll.core import mail
from cll.core.outbox import email_deliver, email_queue

pytestmark = pytest.mark.django_db

SELECTOR = "mail2026"
DOMAIN = "cll.be"


@pytest.fixture(scope="module")
def key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def signing_mailer(settings, smtp_server, key, tmp_path):
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    key_file = tmp_path / "dkim.pem"
    key_file.write_bytes(pem)
    options = settings.MAILERS["default"]["OPTIONS"]
    settings.MAILERS = {
        "default": {
            "BACKEND": "cll.core.mail.DkimEmailBackend",
            "OPTIONS": {
                **options,
                "dkim_domain": DOMAIN,
                "dkim_selector": SELECTOR,
                "dkim_key_file": str(key_file),
            },
        }
    }
    return smtp_server


def _dns(key):
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)

    def lookup(name, timeout=5):
        return record if name == f"{SELECTOR}._domainkey.{DOMAIN}.".encode() else None

    return lookup


def _deliver_one(server, **kwargs):
    email = email_queue(
        to="alice@example.org",
        subject="Votre inscription — session d'anglais A2",
        text="Bonjour Alice,\n\nÀ bientôt !\n",
        **kwargs,
    )
    email_deliver(email_id=email.pk)
    (received,) = server.wait_for(1)
    return received.content


def test_it_signs_messages_that_verify_against_the_published_key(signing_mailer, key):
    content = _deliver_one(signing_mailer, html="<p>Bonjour <b>Alice</b></p>")
    assert content.startswith(b"DKIM-Signature:")
    signature = content.split(b"\r\n\r\n")[0]
    assert b"d=" + DOMAIN.encode() in signature and b"s=" + SELECTOR.encode() in signature
    assert dkim.verify(content, dnsfunc=_dns(key))


@pytest.mark.parametrize(
    ("original", "forged"),
    [(b"Subject: Votre", b"Subject: Notre"), ("À bientôt".encode(), b"A demain")],
)
def test_it_fails_verification_when_a_header_or_the_body_is_changed(
    signing_mailer, key, original, forged
):
    content = _deliver_one(signing_mailer)
    tampered = content.replace(original, forged, 1)
    if tampered == content:  # the body is quoted-printable or base64: change the encoded text
        head, body = content.split(b"\r\n\r\n", 1)
        tampered = head + b"\r\n\r\n" + body.replace(b"Alice", b"Alicia", 1)
    assert tampered != content
    assert not dkim.verify(tampered, dnsfunc=_dns(key))


def test_it_does_not_let_a_relay_add_a_one_click_unsubscribe_header(signing_mailer, key):
    content = _deliver_one(signing_mailer)
    forged = b"List-Unsubscribe: <https://evil.example/u>\r\n" + content
    assert not dkim.verify(forged, dnsfunc=_dns(key))


def test_openssl_computes_the_signature_dkimpy_would_compute(key, monkeypatch):
    # The RSA of dkimpy is replaced by OpenSSL's (cll/core/mail.py): PKCS#1 v1.5 is
    # deterministic, so the signed message must be the same, byte for byte.
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    message = (
        b"From: CLL <info@cll.be>\r\nTo: a@example.org\r\nSubject: Test\r\n"
        b"Date: Sun, 06 Dec 2026 10:00:00 +0000\r\nMessage-ID: <1@cll.be>\r\n\r\nHello.\r\n"
    )
    assert dkim.RSASSA_PKCS1_v1_5_sign is mail.openssl_rsa_sign
    # The signature carries its time (t=): both are made in the same second.
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False):
        ours = mail.dkim_sign(message, domain=DOMAIN, selector=SELECTOR, private_key=pem)
        monkeypatch.setattr(dkim, "RSASSA_PKCS1_v1_5_sign", mail.dkimpy_rsa_sign)
        theirs = mail.dkim_sign(message, domain=DOMAIN, selector=SELECTOR, private_key=pem)
    assert ours == theirs
    assert dkim.verify(ours, dnsfunc=_dns(key))
