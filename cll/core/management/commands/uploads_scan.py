from django.core.management.base import BaseCommand

from cll.core.uploads import ORPHAN_GRACE, uploads_orphans_remove, uploads_scan_pending


class Command(BaseCommand):
    help = (
        "Scan the quarantined uploads again (files received while the malware scanner, "
        "CLL_CLAMD_URL, could not be reached): clean ones can be downloaded from now on, infected "
        "ones are blocked and their bytes deleted; while the scanner is still unavailable "
        "nothing changes and the files stay quarantined (never served). Then delete the sealed "
        f"files no upload needs any more, once older than {ORPHAN_GRACE.days} day (rows deleted "
        "by erasure or retention, interrupted writes). The scheduler runs the rescan every ten "
        "minutes and the clean-up daily (cll.core.upload_tasks)."
    )

    def handle(self, *args, **options):
        scanned = uploads_scan_pending()
        removed = uploads_orphans_remove()
        self.stdout.write(
            f"Scanned {scanned} quarantined upload(s); removed {removed} orphaned file(s)."
        )
