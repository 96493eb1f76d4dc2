"""Reads of the privacy app: verification of the audit ledger's keyed hash chain against its
signed checkpoints."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import F

from cll.privacy.ledger import (
    GENESIS_HASH,
    Checkpoint,
    CheckpointError,
    audit_entry_hash,
    checkpoint_latest,
)
from cll.privacy.models import AuditEntry, AuditSeal


@dataclass(frozen=True)
class ChainBreak:
    # The first entry that is missing or wrong; None when the checkpoint files are the problem.
    seq: int | None
    problem: str


@dataclass(frozen=True)
class ChainReport:
    checked: int
    # The last entry found intact (the head of the ledger when nothing is broken).
    last_seq: int | None
    last_hash: str
    first_break: ChainBreak | None
    # The last entry hashed without a key (0: none), for the next checkpoint.
    legacy_end: int = 0
    # The signed checkpoint the chain was checked against; None: there is none yet.
    checkpoint: Checkpoint | None = None
    # Committed entries the sequencer has not placed yet (not verified: not in the chain yet).
    pending: int = 0

    @property
    def intact(self) -> bool:
        return self.first_break is None


def audit_chain_verify(
    *,
    anchor: tuple[int, str] | None = None,
    chunk_size: int = 2000,
    since: Checkpoint | None = None,
) -> ChainReport:
    """Walk the chain in seq order and report the first entry that was edited, deleted,
    re-hashed without the key, or cut off.

    - Entries are numbered 1, 2, 3... with no gap (the sequencer places them), each entry's
      ``prev_hash`` is the hash of the one before it, and each ``hash`` is recomputed with the
      entry's key from ``CLL_AUDIT_KEY``. An entry rewritten by someone without the key (its
      hash recomputed unkeyed or with another key) fails its own check: no anchor is needed.
    - Unkeyed entries (written before the chain was keyed) are accepted only at the start of
      the chain and never after the ``legacy_end`` of the signed checkpoint.
    - The chain must still hold the latest signed checkpoint's head with the same hash, and
      reach at least that far: this detects a cut-off end, and a rewrite by someone holding the
      HMAC key, up to the last checkpoint.
    - ``anchor`` (a seq and its hash recorded elsewhere) is checked the same way.
    - ``since`` (a checkpoint) verifies only the entries after it, starting from its hash: what
      the periodic job checks before signing the next checkpoint.

    Entries older than the evidence rule are removed by its pruner, which leaves an
    ``AuditSeal`` (seq and hash of the last entry removed): the walk starts after the latest
    seal. Rows are streamed, so memory stays bounded however long the ledger.
    """
    expected_seq, prev_hash = 1, GENESIS_HASH
    # Entries removed by the evidence retention: the chain goes on from the latest seal.
    seal = AuditSeal.objects.order_by("-seq").first()
    sealed = seal.seq if seal is not None else 0
    if seal is not None:
        expected_seq, prev_hash = seal.seq + 1, seal.hash
    checked = 0
    pending = AuditEntry.objects.filter(seq__isnull=True).count()
    checkpoint = since
    legacy_end = since.legacy_end if since is not None else None
    # Entries of before the keyed chain: only as its beginning.
    keyed_seen = since is not None and since.seq > since.legacy_end

    def report(first_break: ChainBreak | None) -> ChainReport:
        return ChainReport(
            checked=checked,
            last_seq=expected_seq - 1 or None,
            last_hash=prev_hash,
            first_break=first_break,
            legacy_end=last_legacy,
            checkpoint=checkpoint,
            pending=pending,
        )

    last_legacy = legacy_end or 0
    if since is None:
        try:
            checkpoint = checkpoint_latest()
        except CheckpointError as exc:
            return report(ChainBreak(None, str(exc)))
        if checkpoint is not None:
            legacy_end = checkpoint.legacy_end
    elif since.seq > sealed:
        # Start from the checkpoint: its entry must still be there, with its hash.
        found = AuditEntry.objects.filter(seq=since.seq).values_list("hash", flat=True).first()
        if found != since.hash:
            problem = (
                "it is missing: the ledger was cut."
                if found is None
                else "its hash differs from the signed checkpoint: the entries up to it were "
                "rewritten."
            )
            return report(ChainBreak(since.seq, f"{problem} (checkpoint {since.source})"))
        expected_seq, prev_hash = since.seq + 1, since.hash

    # An anchor or checkpoint the retention has since removed cannot be checked any more.
    anchor_seen = anchor is not None and anchor[0] <= sealed
    entries = AuditEntry.objects.filter(seq__gte=expected_seq).order_by(F("seq").asc())
    for entry in entries.iterator(chunk_size=chunk_size):
        if entry.seq != expected_seq:
            missing = (
                f"entry {expected_seq} is missing"
                if entry.seq == expected_seq + 1
                else f"entries {expected_seq} to {entry.seq - 1} are missing"
            )
            return report(ChainBreak(expected_seq, f"{missing}: the ledger was cut."))
        if not entry.key_id:
            if keyed_seen or (legacy_end is not None and entry.seq > legacy_end):
                return report(
                    ChainBreak(
                        entry.seq,
                        "its hash is unkeyed where the chain is keyed: it was rewritten by "
                        "someone without the key.",
                    )
                )
            last_legacy = entry.seq
        elif entry.key_id not in settings.AUDIT_KEYRING.keys:
            return report(
                ChainBreak(
                    entry.seq,
                    f"it was chained with the key {entry.key_id!r}, which is not in "
                    "CLL_AUDIT_KEY: put it back (retired keys stay listed to verify).",
                )
            )
        else:
            keyed_seen = True
        if audit_entry_hash(entry) != entry.hash:
            return report(
                ChainBreak(
                    entry.seq,
                    "its content does not match its hash: it was edited, or re-hashed "
                    "without the key.",
                )
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
        if checkpoint is not None and entry.seq == checkpoint.seq and entry.hash != checkpoint.hash:
            return report(
                ChainBreak(
                    entry.seq,
                    f"its hash differs from the signed checkpoint {checkpoint.source} of "
                    f"{checkpoint.at:%Y-%m-%d %H:%M} UTC: the entries up to it were rewritten.",
                )
            )
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
    if checkpoint is not None and checkpoint.seq >= expected_seq:
        return report(
            ChainBreak(
                expected_seq,
                f"the ledger ends at entry {expected_seq - 1}, before the head of the signed "
                f"checkpoint {checkpoint.source} of {checkpoint.at:%Y-%m-%d %H:%M} UTC (entry "
                f"{checkpoint.seq}): its last entries were cut off.",
            )
        )
    if checkpoint is not None and checkpoint.seq == sealed and checkpoint.hash != seal.hash:
        return report(
            ChainBreak(
                sealed,
                f"the retention seal differs from the signed checkpoint {checkpoint.source}.",
            )
        )
    return report(None)
