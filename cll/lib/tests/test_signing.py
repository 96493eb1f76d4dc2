"""Ed25519 signing keys from the environment: base64 raw keys and PEM files."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from cll.lib.signing import key_id, new_signing_key, parse_signing_key


def test_it_reads_a_generated_raw_key():
    key = parse_signing_key(new_signing_key())

    assert len(key_id(key)) == 16


def test_it_reads_a_raw_key_that_starts_like_a_path():
    # "/" is a base64 character: one generated key in 64 starts with it.
    text = base64.b64encode(bytes([0xFD]) + bytes(31)).decode()
    assert text.startswith("/")

    assert parse_signing_key(text).public_key()


def test_it_reads_a_pem_file(tmp_path):
    key = ed25519.Ed25519PrivateKey.generate()
    path = tmp_path / "audit-signing.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )

    assert key_id(parse_signing_key(str(path))) == key_id(key)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("bm90LWEta2V5", "32 bytes"),
        ("not a key!", "base64"),
        ("/nonexistent/audit-signing.pem", "cannot read"),
    ],
)
def test_it_refuses_what_is_not_a_key_and_says_why(text, says):
    with pytest.raises(ValueError, match=says):
        parse_signing_key(text)
