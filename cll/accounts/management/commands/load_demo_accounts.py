"""The demo school for the embedded set-up (cll/accounts/demo.py). Never in production."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cll.accounts import demo
from cll.accounts.models import User

# Kept here too: scripts and tests import the password from the command.
DEMO_PASSWORD = demo.DEMO_PASSWORD


class Command(BaseCommand):
    help = (
        "Create the demo accounts and a lived-in school around them (profiles, a guardian and "
        "her child, teachers on sessions, breaches, policy versions, a month of access log); "
        "idempotent; prints the accounts. Run after load_demo. Refused in production."
    )

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("Demo accounts are never created in production.")
        accounts = demo.demo_accounts_load()
        users = {user.email: user for user in User.objects.filter(email__endswith="@demo.cll.be")}
        demo.demo_child_load(guardian=users["gina@demo.cll.be"])
        teachers = [users[a.email] for a in accounts if a.persona == "teacher"]
        demo.demo_teaching_load(teachers=teachers)
        demo.demo_breaches_load(reporter=users["dora@demo.cll.be"])
        demo.demo_policy_versions_load(actor=users["admin@demo.cll.be"])
        demo.demo_access_log_load()
        for account in accounts:
            self.stdout.write(
                f"  {account.persona:<16} {account.email:<22} password: {DEMO_PASSWORD}"
            )
        self.stdout.write(
            "  Staff sign in, then set up two-factor authentication (one code) at their first\n"
            '  visit to the staff home, /fr/staff/ ("Espace du personnel" in the header).'
        )
