"""Outgoing mail transport: Django's SMTP backend, with DKIM signatures when a key is configured;
in development without a relay, one ``.eml`` file per message (``EmlFileBackend``).

The outbox (``outbox.py``) decides what is sent and when; this module only changes the bytes on
the wire. Each message is signed over its final serialised form (the bytes Django hands to
``smtplib``), so nothing re-folds a header after signing. Relaxed canonicalisation (RFC 6376
§3.4) lets relays re-fold headers and adjust whitespace without breaking the signature.
"""

from __future__ import annotations

import contextlib
import email.policy
import os
import smtplib
import tempfile
import uuid
from datetime import datetime

import dkim
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils
from django.core.mail.backends.filebased import EmailBackend as FileBackend
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


# dkimpy canonicalises, hashes and writes the header; the RSA signature itself it computes with
# Python integers (6-9 ms per message, the newsletter's largest cost: bench/newsletter.py).
# PKCS#1 v1.5 is deterministic, so OpenSSL (through ``cryptography``) gives the same bytes in a
# fraction of the time: dkimpy is handed this function instead of its own
# (cll/core/tests/test_dkim.py compares both, byte for byte).
_RSA_KEYS: dict[int, rsa.RSAPrivateKey] = {}
_DIGESTS = {"sha256": hashes.SHA256(), "sha1": hashes.SHA1()}  # noqa: S303 (dkimpy's choices)
dkimpy_rsa_sign = dkim.RSASSA_PKCS1_v1_5_sign


def openssl_rsa_sign(digest, private_key: dict) -> bytes:
    """dkimpy's ``RSASSA_PKCS1_v1_5_sign(hash, private_key)``, computed by OpenSSL."""
    key = _RSA_KEYS.get(private_key["modulus"])
    if key is None:
        key = rsa.RSAPrivateNumbers(
            p=private_key["prime1"],
            q=private_key["prime2"],
            d=private_key["privateExponent"],
            dmp1=private_key["exponent1"],
            dmq1=private_key["exponent2"],
            iqmp=private_key["coefficient"],
            public_numbers=rsa.RSAPublicNumbers(
                private_key["publicExponent"], private_key["modulus"]
            ),
        ).private_key()
        _RSA_KEYS[private_key["modulus"]] = key
    return key.sign(digest.digest(), padding.PKCS1v15(), utils.Prehashed(_DIGESTS[digest.name]))


dkim.RSASSA_PKCS1_v1_5_sign = openssl_rsa_sign


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


# RFC 5322 §2.1.1: a line is at most 998 characters. Text parts within it are written as 8bit
# (readable as they are, links whole); longer ones keep the transfer encoding Django chose.
MAX_LINE = 998


class EmlFileBackend(FileBackend):
    """Development delivery: each message is written to its own ``<date>-<id>.eml`` file in
    ``file_path``, as the RFC 5322 bytes a relay would receive, so a mail client opens it.

    Django's file backend appends every message of a connection to one ``.log`` file with
    separator lines, which no mail client reads. Text parts are written as 8bit UTF-8 rather
    than quoted-printable, so a link is one unbroken line even in a text editor. A file is
    written under a temporary name and renamed, so a reader never sees half a message.
    """

    def open(self) -> bool:
        return False  # one file per message, opened in write_message

    def close(self) -> None:
        return None

    def write_message(self, message) -> None:
        data = readable_message(message.message(policy=email.policy.default)).as_bytes()
        name = f"{datetime.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:12]}.eml"
        handle, temporary = tempfile.mkstemp(dir=self.file_path, suffix=".part")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            os.replace(temporary, os.path.join(self.file_path, name))
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise

    def send_messages(self, email_messages) -> int:
        sent = 0
        for message in email_messages or ():
            try:
                self.write_message(message)
            except Exception:
                if not self.fail_silently:
                    raise
            else:
                sent += 1
        return sent


def readable_message(message):
    """``message`` with its text parts (not attachments) as 8bit UTF-8 when their lines allow."""
    for part in message.walk():
        if part.is_multipart() or part.get_content_maintype() != "text":
            continue
        if part.is_attachment():
            continue
        content = part.get_content()
        if max(map(len, content.splitlines()), default=0) > MAX_LINE:
            continue
        # set_content replaces every Content-* header: keep the others (Content-Language).
        kept = [
            (name, value)
            for name, value in part.items()
            if name.lower().startswith("content-")
            and name.lower() not in {"content-type", "content-transfer-encoding"}
        ]
        part.set_content(content, subtype=part.get_content_subtype(), charset="utf-8", cte="8bit")
        for name, value in kept:
            part[name] = value
    return message
