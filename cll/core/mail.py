"""Outgoing mail transport: Django's SMTP backend, with DKIM signatures when a key is configured.

The outbox (``outbox.py``) decides what is sent and when; this module only changes the bytes on
the wire. Each message is signed over its final serialised form (the bytes Django hands to
``smtplib``), so nothing re-folds a header after signing. Relaxed canonicalisation (RFC 6376
§3.4) lets relays re-fold headers and adjust whitespace without breaking the signature.
"""

from __future__ import annotations

import email.policy
import smtplib

import dkim
from django.core.mail.backends.smtp import EmailBackend

# Headers a relay must not change and a forger would want to: covered by the signature.
SIGNED_HEADERS = (
    b"from",
    b"to",
    b"subject",
    b"date",
    b"message-id",
    b"mime-version",
    b"content-type",
    b"content-language",
    b"list-unsubscribe",
    b"list-unsubscribe-post",
    b"reply-to",
)


def dkim_sign(message: bytes, *, domain: str, selector: str, private_key: bytes) -> bytes:
    """The message with an rsa-sha256 ``DKIM-Signature`` header prepended.

    A listed header the message lacks is signed as absent, so a relay cannot add one later
    (e.g. a forged ``List-Unsubscribe``).
    """
    signature = dkim.sign(
        message,
        selector.encode(),
        domain.encode(),
        private_key,
        canonicalize=(b"relaxed", b"relaxed"),
        include_headers=list(SIGNED_HEADERS),
    )
    return signature + message


class DkimEmailBackend(EmailBackend):
    """SMTP delivery that signs every message with the configured DKIM key."""

    def __init__(self, *, dkim_domain: str, dkim_selector: str, dkim_key_file: str, **kwargs):
        super().__init__(**kwargs)
        self.dkim_domain = dkim_domain
        self.dkim_selector = dkim_selector
        with open(dkim_key_file, "rb") as handle:
            self.dkim_key = handle.read()

    def _send(self, email_message) -> bool:
        if not email_message.recipients():
            return False
        from_email = self.prep_address(email_message.from_email)
        recipients = [self.prep_address(addr) for addr in email_message.recipients()]
        data = email_message.message(policy=email.policy.SMTP).as_bytes()
        signed = dkim_sign(
            data, domain=self.dkim_domain, selector=self.dkim_selector, private_key=self.dkim_key
        )
        try:
            self.connection.sendmail(from_email, recipients, signed)
        except smtplib.SMTPException:
            if not self.fail_silently:
                raise
            return False
        return True
