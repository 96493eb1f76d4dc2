"""``manage.py erasure_journal_replay``: after restoring a backup, erase again who was erased."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from cll.erasure.journal import journal_path
from cll.erasure.services import erasure_journal_replay


class Command(BaseCommand):
    help = (
        "Re-apply every erasure recorded in the erasure journal (CLL_ERASURE_JOURNAL) to the "
        "current database. Run it after restoring any backup, before opening the site: a "
        "restored backup would otherwise bring erased people back, and the web server refuses "
        "to start until it has run (system check erasure.E003). Idempotent. Only lines "
        "whose HMAC verifies are applied; exits with status 1 if the journal shows tampering "
        "or damage (after applying every genuine line)."
    )

    def handle(self, *args, **options):
        report = erasure_journal_replay()
        self.stdout.write(
            f"Journal {journal_path()}: {report.lines} line(s); erased again: {report.erased}; "
            f"keys destroyed without an account: {report.keys_destroyed}; "
            f"already erased: {report.absent}. The database now holds the journal up to line "
            f"{report.position}."
        )
        for problem in report.problems:
            self.stderr.write(f"Journal problem: {problem}")
        if report.problems:
            raise CommandError(
                f"The erasure journal has {len(report.problems)} problem(s); every genuine line "
                "was applied. Compare it with its off-site copy."
            )
        self.stdout.write(self.style.SUCCESS("Every journaled erasure is in force."))
