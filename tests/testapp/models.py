"""Models that exist only to exercise the encrypted fields of ``cll.core.encryption`` in tests."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from cll.core.encryption import (
    BlindIndexField,
    EncryptedCharField,
    EncryptedDateField,
    EncryptedJSONField,
    EncryptedTextField,
)


class Secretive(models.Model):
    """A row about a person (``owner``): sealed with the owner's data key."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = EncryptedCharField(max_length=100)
    note = EncryptedTextField(blank=True)
    email = EncryptedCharField(max_length=254, blank=True, null=True)
    # Lookups by e-mail address: Secretive.objects.filter(email_bidx=blind_index(...)).
    email_bidx = BlindIndexField(source="email", purpose="testapp.secretive.email")
    born_on = EncryptedDateField(null=True, blank=True)
    answers = EncryptedJSONField(null=True, blank=True)

    def __str__(self):
        return f"Secretive {self.pk}"


class SystemSecret(models.Model):
    """A row about no one (a provider's credential): sealed with the system key."""

    value = EncryptedTextField()

    def __str__(self):
        return f"SystemSecret {self.pk}"
