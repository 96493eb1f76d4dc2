import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from cll.analytics.services import aggregates_refresh


class Command(BaseCommand):
    help = (
        "Roll the access log up into daily aggregates (default: yesterday and today; "
        "--since YYYY-MM-DD to rebuild earlier days that still have raw rows)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", help="first day to aggregate (YYYY-MM-DD)")

    def handle(self, *args, since=None, **options):
        try:
            first = dt.date.fromisoformat(since) if since else None
        except ValueError as exc:
            raise CommandError(f"--since: {exc}") from exc
        days = aggregates_refresh(since=first)
        self.stdout.write(f"{days} day(s) aggregated")
