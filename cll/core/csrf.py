"""The CSRF token a page's forms carry: Django's token, its mask drawn at once.

Django masks the CSRF secret with a fresh random mask for every page (so that the token in a
compressed response changes each time: BREACH). It draws the mask's 32 characters one by one
from the system's random source, each with its own system call (76 µs on the reference
machine, about 2 % of a signed-in page; more with two threads, as each call lets the other
thread take the interpreter).
``page_token`` makes the same token — a mask of 32 characters from ``CSRF_ALLOWED_CHARS``,
each uniformly drawn, followed by the secret shifted by it, as Django's ``_mask_cipher_secret``
— from one read of the random source, and marks the cookie to be sent again as Django's
``get_token`` does. The middleware checks it as any token (``_unmask_cipher_token``; tested).
"""

from __future__ import annotations

import os

from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, get_token
from django.utils.html import format_html
from django.utils.safestring import SafeString

_CHARS = CSRF_ALLOWED_CHARS
_INDEX = {char: index for index, char in enumerate(_CHARS)}
# A random byte below this (the largest multiple of the alphabet's size that fits in a byte)
# maps onto the alphabet uniformly; a byte above it is drawn again.
_UNIFORM_BELOW = 256 - 256 % len(_CHARS)


def page_token(request) -> str:
    """Django's ``get_token(request)``: the secret of the request's CSRF cookie, masked afresh."""
    secret = request.META.get("CSRF_COOKIE")
    if not (secret and len(secret) == CSRF_SECRET_LENGTH and secret.isascii() and secret.isalnum()):
        return get_token(request)  # no valid secret yet: Django makes one and its cookie
    # As get_token: the cookie is in use, send it again (its expiry renewed).
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    size = len(_CHARS)
    mask = _random_characters(CSRF_SECRET_LENGTH)
    cipher = "".join(
        _CHARS[(_INDEX[s] + _INDEX[m]) % size] for s, m in zip(secret, mask, strict=True)
    )
    return mask + cipher


def page_input(request) -> SafeString:
    """The hidden field of a form: Django's ``csrf_input`` with ``page_token``."""
    return format_html(
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', page_token(request)
    )


def _random_characters(count: int) -> str:
    # Rejection sampling: bytes at or above _UNIFORM_BELOW are dropped, so that every
    # character is equally likely (3 % of bytes; a second read is rarely needed).
    chosen: list[str] = []
    while len(chosen) < count:
        for byte in os.urandom(count + 8):
            if byte < _UNIFORM_BELOW:
                chosen.append(_CHARS[byte % len(_CHARS)])
                if len(chosen) == count:
                    break
    return "".join(chosen)
