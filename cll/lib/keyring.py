"""The master keyring: versioned 256-bit keys read from the environment.

Format of ``CLL_KEYRING``: ``<id>:<base64 key>[,<id>:<base64 key>...]``. The first entry is the
active key (new data keys are wrapped with it); the others stay to unwrap older data keys until
``manage.py rotate_keys`` has re-wrapped them. Ids are short tokens (letters, digits, ``-``/``_``)
and are written next to every wrapped key, so a ciphertext always says which key opens it.

The keyring is independent of ``SECRET_KEY``: rotating the session secret must never make stored
personal data unreadable, and leaking it must not reveal that data.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from dataclasses import dataclass

KEY_BYTES = 32
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")


@dataclass(frozen=True)
class Keyring:
    active_id: str
    keys: dict[str, bytes]

    @property
    def active_key(self) -> bytes:
        return self.keys[self.active_id]


def decode_key(text: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("key is not valid base64") from exc
    if len(key) != KEY_BYTES:
        raise ValueError(f"key must be {KEY_BYTES} bytes, got {len(key)}")
    return key


def parse_keyring(text: str) -> Keyring:
    keys: dict[str, bytes] = {}
    active_id = ""
    for entry in text.split(","):
        entry = entry.strip()
        if not entry:
            continue
        key_id, sep, encoded = entry.partition(":")
        if not sep or not _KEY_ID.match(key_id):
            raise ValueError(f"entry {key_id!r} must look like id:base64key")
        if key_id in keys:
            raise ValueError(f"key id {key_id!r} appears twice")
        keys[key_id] = decode_key(encoded)
        active_id = active_id or key_id
    if not keys:
        raise ValueError("no key")
    return Keyring(active_id=active_id, keys=keys)


def new_key() -> str:
    """A fresh random key, base64-encoded, for operators and the development set-up."""
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()
