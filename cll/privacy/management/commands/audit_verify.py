from __future__ import annotations

import re
from argparse import ArgumentTypeError

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cll.privacy.selectors import audit_chain_verify


def _anchor(value: str) -> tuple[int, str]:
    match = re.fullmatch(r"(\d+):([0-9a-f]{64})", value)
    if match is None:
        raise ArgumentTypeError("expected SEQ:HASH, e.g. 1234:<64 hexadecimal digits>")
    return int(match[1]), match[2]


class Command(BaseCommand):
    help = (
        "Verify the audit ledger: recompute every entry's hash in seq order and check that "
        "each links to the one before it. Exits non-zero naming the first entry that was "
        "edited or deleted. Record the printed head (SEQ:HASH) somewhere else and pass it back "
        "with --anchor to also detect that the last entries were cut off."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--anchor",
            type=_anchor,
            help="SEQ:HASH of an entry recorded by an earlier run; it must still be there.",
        )

    def handle(self, *args, anchor: tuple[int, str] | None, **options) -> None:
        report = audit_chain_verify(anchor=anchor)
        if report.first_break is not None:
            raise CommandError(
                f"Audit ledger broken at seq {report.first_break.seq}: "
                f"{report.first_break.problem} ({report.checked} entries before it are intact.)"
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
