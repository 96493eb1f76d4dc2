"""django-allauth MFA adapter: second-factor secrets are encrypted at rest (MFA_ADAPTER).

allauth passes the TOTP secret and the recovery-code seed through ``encrypt()`` before storing
them in ``mfa.Authenticator.data`` and through ``decrypt()`` before use. We seal them with the
foundation's envelope encryption (cll/core/encryption.py): with the data key of the person setting
up the factor (the signed-in user of the request), so erasing the person makes every copy
unreadable, backups included. allauth's hook receives no user, so outside a request (a shell,
a test fixture) the system key seals it instead: still encrypted, not tied to the person. The
token names its key, so ``decrypt()`` needs no user (the login stage has none yet). WebAuthn
rows hold public keys only and are not passed through the hook.
"""

from __future__ import annotations

from allauth.account.internal.flows.login import record_authentication
from allauth.core import context
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator

from cll.core import encryption as crypto


class MFAAdapter(DefaultMFAAdapter):
    def encrypt(self, text: str) -> str:
        request = context.request
        user = getattr(request, "user", None)
        subject = user.public_id if user is not None and user.is_authenticated else None
        return crypto.encrypt(text, subject=subject or crypto.SYSTEM_SUBJECT)

    def decrypt(self, encrypted_text: str) -> str:
        return crypto.decrypt(encrypted_text)


# Factors whose activation proves possession: a valid code was entered, or the key was used.
PROVING_TYPES = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)


def record_factor_activation(sender, request=None, user=None, authenticator=None, **kwargs):
    """``authenticator_added`` receiver: activating an authenticator app or a security key
    proves the second factor, so this session counts as authenticated with it. The staff pages
    (cll/accounts/staff.py) then open without asking for another code right after activation.
    Recovery codes prove nothing: generating them records nothing."""
    if request is None or authenticator is None or authenticator.type not in PROVING_TYPES:
        return
    record_authentication(request, user, method="mfa", type=authenticator.type, id=authenticator.pk)
