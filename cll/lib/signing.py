"""Ed25519 signing keys from the environment (the audit ledger's checkpoints).

A key is given either as the base64 of its 32 raw private bytes, or as the absolute path of a
PEM file holding it (PKCS#8, unencrypted), so it can live in a secrets store or a file readable
by the service alone. Only the public half ever leaves the process: its ``key_id`` names the key
in what it signed, and the public key verifies those signatures.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

_RAW_BYTES = 32


def parse_signing_key(text: str) -> Ed25519PrivateKey:
    """The private key in ``text`` (base64 raw key, or the absolute path of a PEM file).

    Base64 is tried first: its alphabet has "/", so a raw key may look like a path, while a
    path (with a dot, a dash...) is never 32 bytes of valid base64. Raises ValueError saying
    what is wrong, never showing the key.
    """
    text = text.strip()
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raw = None
    if raw is not None and len(raw) == _RAW_BYTES:
        return Ed25519PrivateKey.from_private_bytes(raw)
    if not os.path.isabs(text):
        if raw is None:
            raise ValueError("expected base64 of a raw Ed25519 key or a PEM file's path")
        raise ValueError(f"a raw Ed25519 key is {_RAW_BYTES} bytes, got {len(raw)}")
    try:
        with open(text, "rb") as handle:
            key = serialization.load_pem_private_key(handle.read(), password=None)
    except OSError as exc:
        raise ValueError(f"cannot read {text}: {exc.strerror}") from exc
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{text} is not an unencrypted PEM private key") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{text} holds a key that is not Ed25519")
    return key


def public_bytes(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """A short, stable name of the key pair: the start of the public key's SHA-256."""
    return hashlib.sha256(public_bytes(key)).hexdigest()[:16]


def new_signing_key() -> str:
    """A fresh private key as base64 of its raw bytes, for operators and the development set-up."""
    raw = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return base64.b64encode(raw).decode()
