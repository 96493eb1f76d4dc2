from django.core.management.base import BaseCommand

from cll.analytics import retention


class Command(BaseCommand):
    help = (
        "Apply the access log's retention rules: destroy past days' visitor salts, truncate "
        "IP addresses older than CLL_LOG_IP_DAYS (IPv4 /24, IPv6 /48) and delete rows older "
        "than CLL_LOG_RETENTION_DAYS, aggregating their days first (aggregates are kept)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="only count")

    def handle(self, *args, dry_run=False, **options):
        salts = retention.visitor_salts_destroy(dry_run=dry_run)
        ips = retention.access_log_ips_truncate(dry_run=dry_run)
        rows = retention.access_log_prune(dry_run=dry_run)
        verb = "would be" if dry_run else "were"
        self.stdout.write(f"{salts} salt(s), {ips} IP(s) truncated, {rows} row(s) {verb} handled")
