"""Reads of the privacy app: verification of the audit ledger's hash chain; the breach
register and its 72-hour clock."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from cll.privacy.models import AuditEntry, AuditSeal, Breach, Decision
from cll.privacy.services import GENESIS_HASH, audit_entry_hash


@dataclass(frozen=True)
class ChainBreak:
    seq: int  # the first entry that is missing or wrong
    problem: str


@dataclass(frozen=True)
class ChainReport:
    checked: int
    # The last entry found intact (the head of the ledger when nothing is broken).
    last_seq: int | None
    last_hash: str
    first_break: ChainBreak | None

    @property
    def intact(self) -> bool:
        return self.first_break is None


def audit_chain_verify(
    *, anchor: tuple[int, str] | None = None, chunk_size: int = 2000
) -> ChainReport:
    """Walk the ledger in seq order and report the first entry that was edited or deleted.

    Entries are numbered 1, 2, 3... with no gap (``audit_record`` assigns seq itself), each
    entry's ``prev_hash`` is the hash of the one before it, and each ``hash`` is recomputed from
    the entry's content. Rows are streamed, so memory stays bounded however long the ledger.

    A chain alone cannot reveal that its last entries were cut off. ``anchor`` (a seq and its
    hash, recorded elsewhere from an earlier run) closes that gap: the entry must still be there
    with that hash.

    Entries older than the evidence rule are removed by its pruner, which leaves an
    ``AuditSeal`` (seq and hash of the last entry removed): the walk starts after the latest
    seal, so a pruned ledger verifies while a cut one does not.
    """
    expected_seq = 1
    prev_hash = GENESIS_HASH
    # Entries removed by the evidence retention: the chain goes on from the latest seal.
    seal = AuditSeal.objects.order_by("-seq").first()
    if seal is not None:
        expected_seq, prev_hash = seal.seq + 1, seal.hash
    checked = 0
    # An anchor the retention has since removed cannot be checked any more.
    anchor_seen = anchor is not None and seal is not None and anchor[0] <= seal.seq

    def report(first_break: ChainBreak | None) -> ChainReport:
        return ChainReport(
            checked=checked,
            last_seq=expected_seq - 1 or None,
            last_hash=prev_hash,
            first_break=first_break,
        )

    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=chunk_size):
        if entry.seq != expected_seq:
            missing = (
                f"entry {expected_seq} is missing"
                if entry.seq == expected_seq + 1
                else f"entries {expected_seq} to {entry.seq - 1} are missing"
            )
            return report(ChainBreak(expected_seq, f"{missing}: the ledger was cut."))
        if audit_entry_hash(entry) != entry.hash:
            return report(
                ChainBreak(entry.seq, "its content does not match its hash: it was edited.")
            )
        if entry.prev_hash != prev_hash:
            return report(
                ChainBreak(
                    entry.seq,
                    "it does not link to the entry before it: that entry was edited and "
                    "re-hashed, or replaced.",
                )
            )
        if anchor is not None and entry.seq == anchor[0]:
            anchor_seen = True
            if entry.hash != anchor[1]:
                return report(ChainBreak(entry.seq, "its hash differs from the recorded anchor."))
        prev_hash = entry.hash
        expected_seq += 1
        checked += 1

    if anchor is not None and not anchor_seen:
        return report(
            ChainBreak(
                expected_seq,
                f"the ledger ends before the recorded anchor (entry {anchor[0]}): "
                "its last entries were cut off.",
            )
        )
    return report(None)


# -- Breach register ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BreachClock:
    """Where a breach stands against the 72 hours to notify the authority (Art. 33(1))."""

    # "undecided"/"running": not notified yet, deadline ahead; "overdue": past it;
    # "notified"/"notified_late": done; "not_required": the assessment says no notification.
    state: str
    deadline: datetime
    # Whole hours left before the deadline (negative when overdue), or taken to notify.
    hours: int

    @property
    def late(self) -> bool:
        return self.state in ("overdue", "notified_late")

    @property
    def overdue_hours(self) -> int:
        return max(0, -self.hours) if self.state == "overdue" else 0


def breach_clock(breach, *, now: datetime | None = None) -> BreachClock:
    now = now or timezone.now()
    deadline = breach.detected_at + timedelta(hours=breach.AUTHORITY_DEADLINE_HOURS)
    if breach.authority_notified_at is not None:
        taken = breach.authority_notified_at - breach.detected_at
        state = "notified_late" if breach.authority_notified_at > deadline else "notified"
        return BreachClock(state, deadline, int(taken.total_seconds() // 3600))
    if breach.authority_notification == Decision.NOT_REQUIRED:
        return BreachClock("not_required", deadline, 0)
    left = deadline - now
    hours = math.floor(left.total_seconds() / 3600)
    return BreachClock("running" if left.total_seconds() > 0 else "overdue", deadline, hours)


def breach_list_for(*, staff) -> QuerySet:
    """The register, newest detection first. Only the roles the views admit (Privacy officer,
    Administrator) reach it; the register holds no one's personal values in its list."""
    return Breach.objects.order_by("-detected_at")


def breach_get_for(*, staff, public_id: uuid.UUID):
    return Breach.objects.filter(public_id=public_id).first()
