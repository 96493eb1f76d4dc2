"""Reads of the privacy app: verification of the audit ledger's hash chain."""

from __future__ import annotations

from dataclasses import dataclass

from cll.privacy.models import AuditEntry
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
    """
    expected_seq = 1
    prev_hash = GENESIS_HASH
    checked = 0
    anchor_seen = False

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
