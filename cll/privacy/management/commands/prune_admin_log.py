from django.core.management.base import BaseCommand

from cll.privacy import retention, thirdparty
from cll.privacy.datamap import RETENTION


class Command(BaseCommand):
    help = (
        "Delete Django admin change-log rows older than the admin-log retention rule "
        f"({RETENTION[thirdparty.ADMIN_LOG].days} days). Runs daily from the scheduler."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Only count what would go.")

    def handle(self, *args, dry_run=False, **options):
        count = retention.prune_admin_log(dry_run=dry_run)
        verb = "would be deleted" if dry_run else "deleted"
        self.stdout.write(f"{count} admin log entries {verb}.")
