"""The demo feedback for the embedded set-up (cll/feedback/demo.py). Never in production."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cll.feedback import demo
from cll.shop import demo as shop_demo


class Command(BaseCommand):
    help = (
        "Fill the demo feedback through its services: two sessions that ended last week, their "
        "learners invited and most of them answered, and a year of feedback on our services. "
        "Idempotent; run after load_demo, load_demo_accounts and load_demo_shop. Refused in "
        "production."
    )

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("The demo feedback is never loaded in production.")
        started = time.perf_counter()
        try:
            with shop_demo.quiet_payments_log(quiet=options["verbosity"] < 2):
                created, notes = demo.demo_feedback_load()
        except shop_demo.DemoMissing as missing:
            raise CommandError(str(missing)) from None
        for note in notes:
            self.stderr.write(f"Demo feedback: {note}")
        if options["verbosity"] > 0:
            summary = ", ".join(f"{n} {name}" for name, n in created.items())
            self.stdout.write(
                f"Demo feedback ready ({time.perf_counter() - started:.1f} s): {summary}."
            )
