from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class DataKey(models.Model):
    """A person's data key, wrapped (encrypted) by a master key of the keyring.

    Every encrypted value about a person is sealed with their data key. Erasure destroys the
    wrapped key (crypto-shredding), so copies of their ciphertext in backups become unreadable.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # The person's public id (accounts.User.public_id); the nil UUID is the system's own key.
    subject = models.UUIDField()
    master_key_id = models.CharField(max_length=16)
    wrapped = models.BinaryField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)
    destroyed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("data key")
        constraints = [
            # One live key per person; destroyed keys stay as evidence of the shredding.
            models.UniqueConstraint(
                fields=["subject"],
                condition=models.Q(destroyed_at__isnull=True),
                name="privacy_datakey_one_live_per_subject",
            )
        ]
        indexes = [
            # rotate_keys walks the keys still wrapped by an old master key.
            models.Index(fields=["master_key_id"], name="privacy_datakey_master_idx"),
        ]

    def __str__(self):
        return f"DataKey {self.id} ({self.master_key_id})"


class AuditEntry(models.Model):
    """One line of the append-only, hash-chained evidence ledger.

    Entries carry ids and field names only, never personal values: the ledger must be safe to
    keep after the person is erased, and safe to show an auditor. ``hash`` covers the previous
    entry's hash, so editing or deleting any entry breaks every hash after it
    (``manage.py audit_verify``). Database triggers refuse UPDATE and DELETE.
    """

    seq = models.BigAutoField(primary_key=True)
    at = models.DateTimeField()
    actor = models.UUIDField(null=True, blank=True)  # public id of who acted; null: the system
    actor_role = models.CharField(max_length=64, blank=True)
    subject = models.UUIDField(null=True, blank=True)  # public id of the person concerned
    action = models.CharField(max_length=64)
    target = models.CharField(max_length=160, blank=True)  # "app.Model:<public id>"
    fields = models.JSONField(default=list, blank=True)
    route = models.CharField(max_length=200, blank=True)
    detail = models.JSONField(default=dict, blank=True)  # ids, versions, counts: never PII
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [
            # The export lists "who accessed my data": entries by subject, newest first.
            models.Index(fields=["subject", "-seq"], name="privacy_audit_subject_idx"),
            # Reviews of one staff member's activity.
            models.Index(fields=["actor", "-seq"], name="privacy_audit_actor_idx"),
        ]

    def __str__(self):
        return f"#{self.seq} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("Audit entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit entries are append-only.")
