"""Reads of the privacy app: verification of the audit ledger's hash chain."""

from __future__ import annotations

from dataclasses import dataclass

from cll.privacy.models import AuditEntry, AuditSeal
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
