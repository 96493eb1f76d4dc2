from django.core.management.base import BaseCommand

from cll.analytics.services import access_log_scrub


class Command(BaseCommand):
    help = (
        "Remove the secrets of e-mailed links from the stored access log: tokens in logged "
        "paths and in our own referrers become <name>, other sites' referrers their origin; "
        "the days concerned are aggregated again. Idempotent (the migration that introduced "
        "it ran it once)."
    )

    def handle(self, *args, **options):
        blocks, aggregates = access_log_scrub()
        self.stdout.write(f"{blocks} block(s) and {aggregates} aggregate(s) scrubbed")
