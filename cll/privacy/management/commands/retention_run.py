from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cll.privacy.datamap import RETENTION
from cll.privacy.retention import retention_run


class Command(BaseCommand):
    help = (
        "Apply every retention rule of the data map (each rule's pruner), as the daily job does. "
        "With --dry-run, list each rule with its description and how many rows would go, "
        "deleting nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Only list what would go; change nothing."
        )
        parser.add_argument(
            "--rule", action="append", dest="rules", help="Only this rule (repeatable)."
        )

    def handle(self, *args, dry_run: bool = False, rules: list[str] | None = None, **options):
        unknown = sorted(set(rules or ()) - set(RETENTION))
        if unknown:
            raise CommandError(f"Unknown retention rule(s): {', '.join(unknown)}.")
        runs = retention_run(dry_run=dry_run, rules=rules)
        verb = "would go" if dry_run else "went"
        failed = []
        for run in runs:
            days = f" ({run.rule.days} days)" if run.rule.days is not None else ""
            self.stdout.write(self.style.MIGRATE_HEADING(f"{run.rule.key}{days}"))
            self.stdout.write(f"  {run.rule.description}")
            if not run.has_pruner:
                note = (
                    "ends with an event: applied when it happens"
                    if run.rule.days is None
                    else "NO PRUNER: nothing applies this period"
                )
                self.stdout.write(f"  -> {note}")
            elif run.error:
                failed.append(run.rule.key)
                self.stdout.write(self.style.ERROR(f"  -> failed: {run.error}"))
            else:
                self.stdout.write(f"  -> {run.count} {verb}")
        if failed:
            raise CommandError(f"Pruners failed: {', '.join(failed)}.")
