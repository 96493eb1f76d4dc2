from django.core.management.base import BaseCommand

from cll.dsar.retention import prune_closed_requests, prune_unverified_requests


def _rule(fn) -> str:
    return " ".join(fn.__doc__.split())


class Command(BaseCommand):
    help = (
        f"Retention of data-subject requests. {_rule(prune_closed_requests)} "
        f"{_rule(prune_unverified_requests)}"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count what would be deleted."
        )

    def handle(self, *args, dry_run: bool = False, **options):
        closed = prune_closed_requests(dry_run=dry_run)
        unverified = prune_unverified_requests(dry_run=dry_run)
        verb = "would be deleted" if dry_run else "deleted"
        self.stdout.write(
            f"{closed} closed and {unverified} unverified data-subject request(s) {verb}."
        )
