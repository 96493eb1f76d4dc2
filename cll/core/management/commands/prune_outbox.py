from django.core.management.base import BaseCommand

from cll.core.outbox import RETENTION_DAYS, outbox_prune


class Command(BaseCommand):
    help = (
        f"Delete outgoing e-mails (sent or failed) whose last delivery attempt is more than "
        f"{RETENTION_DAYS} days old. Messages still queued or sending are kept. The scheduler "
        'runs this daily (the "outbox" rule of cll.privacy.tasks.retention_run_daily).'
    )

    def handle(self, *args, **options):
        deleted = outbox_prune()
        self.stdout.write(f"Deleted {deleted} outgoing e-mail(s) older than {RETENTION_DAYS} days.")
