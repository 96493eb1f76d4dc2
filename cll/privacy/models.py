from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntryQuerySet(models.QuerySet):
    def order_by(self, *field_names):
        """Ordering by ``seq`` (the place in the chain) lists the entries not placed yet after
        the chain, in the order they were written (``id``): a reader sorting by ``seq`` sees
        the ledger's order whether or not the sequencer has run since the last commit."""
        fields = []
        for name in field_names:
            if name == "seq":
                fields += [models.F("seq").asc(nulls_last=True), "id"]
            elif name == "-seq":
                fields += [models.F("seq").desc(nulls_first=True), "-id"]
            else:
                fields.append(name)
        return super().order_by(*fields)


class AuditEntry(models.Model):
    """One line of the append-only, hash-chained evidence ledger.

    Entries carry ids and field names only, never personal values: the ledger must be safe to
    keep after the person is erased, and safe to show an auditor.

    An entry is written in the caller's transaction with no place in the chain (``seq``,
    ``prev_hash`` and ``hash`` empty), so writers never wait for each other. Once committed, the
    sequencer (``ledger.ledger_chain``) gives it the next ``seq`` and its ``hash``: an
    HMAC-SHA256, under the key ``key_id`` of ``CLL_AUDIT_KEY``, of ``prev_hash`` (the hash of
    the entry before it) and the entry's content. Editing, deleting or re-numbering an entry
    breaks the chain, and without the key nobody can compute hashes that fit again
    (``manage.py audit_verify``). Entries written before the chain was keyed (``key_id`` empty)
    keep their plain SHA-256. Database triggers refuse every UPDATE and DELETE except the
    sequencer's one-time placement (and the evidence retention's sealed deletes).
    """

    # The order of writing; the place in the chain is ``seq``.
    id = models.BigAutoField(primary_key=True)
    seq = models.BigIntegerField(null=True, blank=True, unique=True)
    at = models.DateTimeField()
    actor = models.UUIDField(null=True, blank=True)  # public id of who acted; null: the system
    actor_role = models.CharField(max_length=64, blank=True)
    subject = models.UUIDField(null=True, blank=True)  # public id of the person concerned
    action = models.CharField(max_length=64)
    target = models.CharField(max_length=160, blank=True)  # "app.Model:<public id>"
    fields = models.JSONField(default=list, blank=True)
    route = models.CharField(max_length=200, blank=True)
    detail = models.JSONField(default=dict, blank=True)  # ids, versions, counts: never PII
    # NULL until the sequencer places the entry (the triggers allow that one change), as seq.
    prev_hash = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    # Not unique: seq is what keeps the chain from forking, and two more index writes per entry
    # (and per placement) were a sizeable share of an audited write (bench/ledger.py).
    hash = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    # The CLL_AUDIT_KEY entry the hash was made with; empty: the unkeyed SHA-256 of old entries.
    key_id = models.CharField(max_length=16, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [
            # The export lists "who accessed my data": entries by subject, newest first.
            models.Index(fields=["subject", "-seq"], name="privacy_audit_subject_idx"),
            # Reviews of one staff member's activity.
            models.Index(fields=["actor", "-seq"], name="privacy_audit_actor_idx"),
            # The sequencer's "committed entries not chained yet, in the order written".
            models.Index(
                fields=["id"],
                condition=models.Q(seq__isnull=True),
                name="privacy_audit_pending_idx",
            ),
        ]

    def __str__(self):
        return f"#{self.seq if self.seq is not None else '-'} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("Audit entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit entries are append-only.")


class AuditSeal(models.Model):
    """The point up to which the evidence-retention rule removed the oldest ledger entries.

    Pruning keeps the chain verifiable: the seal records the seq and hash of the last entry
    removed, and ``audit_chain_verify`` starts from the latest seal instead of the genesis hash.
    The database lets a ledger entry be deleted only when a seal covers it (migration 0004).
    Seals are never changed or deleted.
    """

    seq = models.BigIntegerField(primary_key=True)  # the last entry removed
    hash = models.CharField(max_length=64)  # its hash: the next entry's prev_hash
    sealed_at = models.DateTimeField()
    removed = models.PositiveIntegerField()  # how many entries this pruning removed

    class Meta:
        verbose_name = _("audit seal")
        verbose_name_plural = _("audit seals")

    def __str__(self):
        return f"AuditSeal {self.seq}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("Audit seals are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit seals are append-only.")


class RetentionNotice(models.Model):
    """A warning e-mailed before a retention rule erases a person (e.g. an inactive account).

    The erasure happens at ``due_at`` only if the person did not come back meanwhile (signed in
    after ``warned_at``); coming back cancels the notice. One live notice per person and rule.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The person's public id (accounts.User.public_id).
    subject = models.UUIDField()
    rule = models.CharField(max_length=64)
    warned_at = models.DateTimeField()
    due_at = models.DateTimeField()

    class Meta:
        verbose_name = _("retention notice")
        verbose_name_plural = _("retention notices")
        constraints = [
            models.UniqueConstraint(fields=["subject", "rule"], name="privacy_notice_one_per_rule")
        ]
        indexes = [
            # The daily run looks for the notices of one rule that have fallen due.
            models.Index(fields=["rule", "due_at"], name="privacy_notice_due_idx"),
        ]

    def __str__(self):
        return f"RetentionNotice {self.public_id} ({self.rule})"
