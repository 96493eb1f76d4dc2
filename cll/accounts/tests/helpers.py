"""Sign-in steps shared by the accounts tests: a verified address, a TOTP authenticator and
its current code."""

from __future__ import annotations

import time

from allauth.account.models import EmailAddress
from allauth.mfa import app_settings
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)


def verified(user):
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def with_totp(user) -> str:
    """Activate a TOTP authenticator for ``user``; returns its secret."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


# A code is valid only in its own 30-second step (allauth's MFA_TOTP_TOLERANCE, 0 by default
# and here): one made in the step's last seconds may be checked in the next one on a busy
# machine and refused (seen once in CI). Closer than this to the step's end, wait for the next step.
_MARGIN_SECONDS = 5


def current_code(secret: str) -> str:
    """The code an authenticator app shows now, with at least ``_MARGIN_SECONDS`` of its step
    left for the test to use it."""
    period = app_settings.TOTP_PERIOD
    left = period - time.time() % period
    if left < _MARGIN_SECONDS:
        time.sleep(left + 0.05)
    # The first counter is the current step's less the tolerance (0): the current step.
    return format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))
