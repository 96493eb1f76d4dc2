"""Models of the erasure app."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ErasureSchedule(models.Model):
    """A person asked for the erasure of their account; it runs at ``due_at`` unless cancelled.

    Meanwhile the account is deactivated. The e-mailed cancel link carries a random token of
    which only the SHA-256 is stored; the link works once, since cancelling deletes the row
    (as does the erasure itself).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="erasure_schedule"
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now, editable=False)
    due_at = models.DateTimeField(_("erasure due at"))
    cancel_token_hash = models.CharField(max_length=64, unique=True, editable=False)

    class Meta:
        verbose_name = _("scheduled erasure")
        verbose_name_plural = _("scheduled erasures")
        indexes = [
            # erasures_execute_due: the schedules whose grace period is over.
            models.Index(fields=["due_at"], name="erasure_schedule_due_idx"),
        ]

    def __str__(self):
        return f"erasure-schedule:{self.pk}"


class JournalPending(models.Model):
    """An erasure committed to the database but not yet appended to the erasure journal.

    Written in the erasure's transaction and deleted once the journal line is on disk (fsync).
    If the append fails (disk full, process killed right after the commit), the row stays and
    the next ``erasure_journal_flush`` (periodic, and the first step of every replay) writes it.
    It holds the person's former public id only: a pseudonym nothing in the database leads to
    any more.
    """

    subject = models.UUIDField(unique=True, editable=False)
    erased_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("erasure waiting for the journal")
        verbose_name_plural = _("erasures waiting for the journal")

    def __str__(self):
        return f"journal-pending:{self.pk}"


class JournalWatermark(models.Model):
    """How far into the erasure journal this database is: one row, ``seq`` being the journal
    line up to which every erasure is in this database.

    It lives in the database on purpose: a restored backup brings back its old value, lower
    than the journal's last line, and the site refuses to start (system check ``erasure.E003``)
    until ``erasure_journal_replay`` has erased those people again and moved it to the end of
    the journal. A flush moves it only from the line it was at (a database restored from an
    older backup stays behind, however many erasures follow); a missing row counts as 0.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    seq = models.PositiveBigIntegerField(_("last journal line applied"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("erasure journal position")
        verbose_name_plural = _("erasure journal positions")
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="erasure_watermark_single_row")
        ]

    def __str__(self):
        return f"journal-watermark:{self.seq}"
