from __future__ import annotations

import re
from argparse import ArgumentTypeError

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cll.privacy.ledger import checkpoint_dir, checkpoint_write, ledger_chain
from cll.privacy.selectors import audit_chain_verify


def _anchor(value: str) -> tuple[int, str]:
    match = re.fullmatch(r"(\d+):([0-9a-f]{64})", value)
    if match is None:
        raise ArgumentTypeError("expected SEQ:HASH, e.g. 1234:<64 hexadecimal digits>")
    return int(match[1]), match[2]


class Command(BaseCommand):
    help = (
        "Verify the audit ledger. First chains the committed entries still waiting for their "
        "place (e.g. after a crash), then recomputes every entry's keyed hash (CLL_AUDIT_KEY) "
        "in seq order, checks that each links to the one before it, and that the chain still "
        "holds the head of the latest signed checkpoint (CLL_AUDIT_CHECKPOINT_DIR) with the "
        "same hash: an edited, deleted, re-hashed or cut-off entry is named and the command "
        "exits non-zero. --checkpoint then signs a checkpoint of the verified head."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--anchor",
            type=_anchor,
            help="SEQ:HASH of an entry recorded by an earlier run; it must still be there.",
        )
        parser.add_argument(
            "--checkpoint",
            action="store_true",
            help="After a successful verification, append a signed checkpoint of the head.",
        )

    def handle(self, *args, anchor: tuple[int, str] | None, checkpoint: bool, **options) -> None:
        placed = ledger_chain()
        if placed:
            self.stdout.write(f"Chained {len(placed)} entries that were waiting for their place.")
        report = audit_chain_verify(anchor=anchor)
        if report.first_break is not None:
            where = "" if report.first_break.seq is None else f" at seq {report.first_break.seq}"
            raise CommandError(
                f"Audit ledger broken{where}: {report.first_break.problem} "
                f"({report.checked} entries before it are intact.)"
            )
        if report.checkpoint is None:
            self.stdout.write(
                self.style.WARNING(
                    f"No signed checkpoint in {checkpoint_dir()} yet: a cut-off end cannot be "
                    "detected before the first one (the checkpoint task, or --checkpoint)."
                )
            )
        else:
            self.stdout.write(
                f"Latest signed checkpoint ({report.checkpoint.source}, "
                f"{report.checkpoint.at:%Y-%m-%d %H:%M} UTC): entry {report.checkpoint.seq} "
                "is in the chain with the same hash."
            )
        if report.last_seq is None:
            self.stdout.write(self.style.SUCCESS("Audit ledger intact: it is empty."))
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit ledger intact: {report.checked} entries. "
                f"Head: {report.last_seq}:{report.last_hash}"
            )
        )
        if not checkpoint:
            return
        if report.checkpoint is not None and report.checkpoint.seq >= report.last_seq:
            self.stdout.write("The latest checkpoint is already at the head.")
            return
        written = checkpoint_write(
            seq=report.last_seq, hash=report.last_hash, legacy_end=report.legacy_end
        )
        self.stdout.write(f"Signed checkpoint written: {written.source}.")
