"""Encryption primitives: AES-256-GCM value tokens, master-key wrapping, blind indexes.

Pure functions of keys and bytes, no model: the data keys they are used with, their table and
the encrypted model fields are the platform's (``cll/core/encryption.py``, which explains the
envelope scheme, the token format and the key cache). This module knows the formats:

- a wrapped data key is ``0x01 | nonce (12) | AES-GCM(master, data key) (32 + 16 tag)``, with
  the data key id, the subject and the master key id as associated data;
- a value token is ``e1.<base64url, unpadded: 0x01 | data key id (16) | nonce (12) |
  ciphertext | tag (16)>``, the first 17 bytes being the associated data; its base64 must be
  canonical (every character is significant);
- a blind index is HMAC-SHA256 over the normalised value (NFKC, casefolded, stripped) with a key
  derived by HKDF from ``CLL_BLIND_INDEX_KEY`` and the index's purpose.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import secrets
import unicodedata
import uuid

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from cll.lib.keyring import KEY_BYTES, decode_key

SYSTEM_SUBJECT = uuid.UUID(int=0)
# The marker at the start of every sealed value (not a secret).
TOKEN_PREFIX = "e1."  # noqa: S105

_VERSION = 1
_WRAP_VERSION = 1
_NONCE_BYTES = 12
_TAG_BYTES = 16
_KEY_ID_BYTES = 16
_HEADER_BYTES = 1 + _KEY_ID_BYTES


# -- Errors -----------------------------------------------------------------------------------


class CryptoError(Exception):
    """Base class of every encryption error (here and in cll/core/encryption.py)."""


class DecryptionError(CryptoError):
    """A token cannot be decrypted: malformed, altered, or sealed with an unknown key."""


class KeyDestroyed(DecryptionError):
    """The token's data key was destroyed (the person was erased): the value is gone for good."""


class MasterKeyError(CryptoError):
    """A data key cannot be unwrapped: its master key is missing from, or differs in, the keyring.

    This is a configuration problem, not a property of one value, so it is not a
    ``DecryptionError``: code that tolerates unreadable values must not hide it.
    """


# -- Wrapped data keys ------------------------------------------------------------------------


def _wrap_aad(key_id: uuid.UUID, subject: uuid.UUID, master_key_id: str) -> bytes:
    return b"cll.datakey.1|" + key_id.bytes + subject.bytes + master_key_id.encode("ascii")


def _master_key(master_key_id: str, *, key_id: uuid.UUID) -> bytes:
    keyring = settings.ENCRYPTION_KEYRING
    try:
        return keyring.keys[master_key_id]
    except KeyError:
        known = ", ".join(sorted(keyring.keys))
        raise MasterKeyError(
            f"Data key {key_id} is wrapped by master key {master_key_id!r}, which is not in "
            f"CLL_KEYRING (it holds: {known}). Put that key back in the keyring; remove a master "
            "key only after manage.py rotate_keys reports that no data key uses it."
        ) from None


def wrap_key(key: bytes, *, key_id: uuid.UUID, subject: uuid.UUID, master_key_id: str) -> bytes:
    master = _master_key(master_key_id, key_id=key_id)
    nonce = secrets.token_bytes(_NONCE_BYTES)
    sealed = AESGCM(master).encrypt(nonce, key, _wrap_aad(key_id, subject, master_key_id))
    return bytes([_WRAP_VERSION]) + nonce + sealed


def unwrap_key(
    *, key_id: uuid.UUID, subject: uuid.UUID, master_key_id: str, wrapped: bytes
) -> bytes:
    master = _master_key(master_key_id, key_id=key_id)
    wrapped = bytes(wrapped)
    if len(wrapped) != 1 + _NONCE_BYTES + KEY_BYTES + _TAG_BYTES or wrapped[0] != _WRAP_VERSION:
        raise MasterKeyError(f"Data key {key_id} is not a wrapped key of a known format.")
    nonce, sealed = wrapped[1 : 1 + _NONCE_BYTES], wrapped[1 + _NONCE_BYTES :]
    try:
        return AESGCM(master).decrypt(nonce, sealed, _wrap_aad(key_id, subject, master_key_id))
    except InvalidTag:
        raise MasterKeyError(
            f"Master key {master_key_id!r} does not open data key {key_id}: the key material "
            "under that id in CLL_KEYRING is not the one that wrapped it, or the row was altered."
        ) from None


# -- Value tokens -----------------------------------------------------------------------------


def b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


_B64_VALUE = {
    char: value
    for value, char in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
}
# Low bits of the last character that carry no data, by the body's length modulo 4.
_UNUSED_BITS = {0: 0, 2: 0b1111, 3: 0b11}


def _canonical_tail(body: str) -> bool:
    """Whether the last character of unpadded base64 leaves its unused bits at zero (the only
    way two different strings can decode to the same bytes)."""
    unused = _UNUSED_BITS.get(len(body) % 4)
    if unused is None:  # a length of 1 modulo 4 is never valid base64
        return False
    return not body or not _B64_VALUE.get(body[-1], 0) & unused


def parse_token(token: str) -> tuple[bytes, uuid.UUID, bytes, bytes]:
    if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX):
        raise DecryptionError("Not an encrypted value (no e1. token).")
    body = token[len(TOKEN_PREFIX) :]
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raise DecryptionError("The token is not valid base64.") from None
    # Non-canonical base64 would let a character change without changing the bytes: padding,
    # the standard alphabet's "+" and "/" (the decoder reads them as "-" and "_"), unused low
    # bits set in the last character, or characters outside the alphabet (the decoder skips
    # those, so fewer bytes come out than the length promises).
    if (
        "=" in body
        or "+" in body
        or "/" in body
        or len(raw) != len(body) * 3 // 4
        or not _canonical_tail(body)
    ):
        raise DecryptionError("The token is not canonical base64: it was altered.")
    if len(raw) < _HEADER_BYTES + _NONCE_BYTES + _TAG_BYTES:
        raise DecryptionError("The token is truncated.")
    if raw[0] != _VERSION:
        raise DecryptionError(f"Unknown token version {raw[0]}.")
    header = raw[:_HEADER_BYTES]
    key_id = _key_id(raw[1:_HEADER_BYTES])
    nonce = raw[_HEADER_BYTES : _HEADER_BYTES + _NONCE_BYTES]
    return header, key_id, nonce, raw[_HEADER_BYTES + _NONCE_BYTES :]


@functools.lru_cache(maxsize=4096)
def _key_id(raw: bytes) -> uuid.UUID:
    # The same few keys open a page's values (one per person): made once, not per value.
    return uuid.UUID(bytes=raw)


def token_key_id(token: str) -> uuid.UUID:
    """The id of the data key that seals ``token`` (it is written in the token)."""
    return parse_token(token)[1]


def seal(value: str, *, key_id: uuid.UUID, aead: AESGCM) -> str:
    """The token of ``value`` sealed by ``aead`` (the AES-GCM context of data key ``key_id``)."""
    header = bytes([_VERSION]) + key_id.bytes
    nonce = secrets.token_bytes(_NONCE_BYTES)
    sealed = aead.encrypt(nonce, value.encode("utf-8"), header)
    return TOKEN_PREFIX + b64encode(header + nonce + sealed)


def open_token(token: str, *, key_id: uuid.UUID, aead: AESGCM, parsed: tuple | None = None) -> str:
    """The text of a token whose parsed key id is ``key_id``, opened with that key's ``aead``;
    ``DecryptionError`` when it was altered. ``parsed``: what ``parse_token(token)`` gave, if
    the caller already has it."""
    header, _key_id, nonce, sealed = parsed or parse_token(token)
    try:
        plain = aead.decrypt(nonce, sealed, header)
    except InvalidTag:
        raise DecryptionError(
            f"The token sealed with data key {key_id} failed authentication: it was altered."
        ) from None
    try:
        return plain.decode("utf-8")
    except UnicodeDecodeError:
        raise DecryptionError("The decrypted value is not UTF-8 text.") from None


# -- Blind indexes ----------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _index_key(root_text: str, purpose: str) -> bytes:
    try:
        root = decode_key(root_text)
    except ValueError as exc:
        raise ImproperlyConfigured(f"CLL_BLIND_INDEX_KEY is malformed: {exc}.") from exc
    if root in settings.ENCRYPTION_KEYRING.keys.values():
        raise ImproperlyConfigured(
            "CLL_BLIND_INDEX_KEY must not be one of the master keys of CLL_KEYRING."
        )
    info = b"cll.blind-index.1|" + purpose.encode("utf-8")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(root)


def normalise(value: str) -> str:
    """The form of a value that a blind index sees: NFKC, casefolded, outer spaces stripped."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold()).strip()


def blind_index(value: str, *, purpose: str) -> str:
    """A keyed, deterministic fingerprint of ``value`` for exact lookups (64 hex characters).

    ``purpose`` names the column ("accounts.profile.email"): each purpose has its own key.
    """
    if not isinstance(value, str):
        raise TypeError(f"blind_index() takes a str, got {type(value).__name__}.")
    if not purpose:
        raise ValueError("A blind index needs a purpose.")
    key = _index_key(settings.BLIND_INDEX_KEY, purpose)
    return hmac.new(key, normalise(value).encode("utf-8"), hashlib.sha256).hexdigest()
