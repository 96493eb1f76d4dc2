"""The demo helpdesk for the embedded set-up (cll/helpdesk/demo.py). Never in production."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cll.helpdesk import demo


class Command(BaseCommand):
    help = (
        "Fill the demo helpdesk through its services: a Customer service member, canned "
        "replies in three languages, eight tickets in every state and from every channel, with "
        "answers and an internal note, one overdue. Idempotent; run after load_demo, "
        "load_demo_accounts and load_demo_shop. Refused in production."
    )

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("The demo helpdesk is never loaded in production.")
        started = time.perf_counter()
        try:
            created = demo.demo_helpdesk_load()
        except demo.DemoMissing as missing:
            raise CommandError(str(missing)) from None
        if options["verbosity"] > 1:
            summary = ", ".join(f"{n} {name}" for name, n in created.items())
            self.stdout.write(
                f"Demo helpdesk ready ({time.perf_counter() - started:.1f} s): {summary}."
            )
