"""The demo shop for the embedded set-up (cll/shop/demo.py). Never in production."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cll.shop import demo


class Command(BaseCommand):
    help = (
        "Fill the demo shop through its services and the sandbox payment provider: paid orders "
        "with enrolments and invoices, a refunded order with its credit note, a cancelled "
        "unpaid order, a full session with a waiting list, bob's roster and attendance, a "
        "quote request and a fraud report. Idempotent; run after load_demo and "
        "load_demo_accounts. Refused in production."
    )

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("The demo shop is never loaded in production.")
        started = time.perf_counter()
        before = demo.row_counts()
        try:
            with demo.quiet_payments_log(quiet=options["verbosity"] < 2):
                report = demo.demo_shop_load()
        except demo.DemoMissing as missing:
            raise CommandError(str(missing)) from None
        after = demo.row_counts()
        created = {
            name: after[name] - before[name] for name in after if after[name] != before[name]
        }
        for note in report.notes:
            self.stderr.write(f"Demo shop: {note}")
        if options["verbosity"] > 0:
            summary = ", ".join(f"{n} {name}" for name, n in created.items()) or "nothing new"
            self.stdout.write(
                f"Demo shop ready ({time.perf_counter() - started:.1f} s): {summary}."
            )
