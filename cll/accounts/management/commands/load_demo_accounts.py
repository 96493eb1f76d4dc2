"""Demo accounts for the embedded set-up: one per persona of DESIGN.md. Never in production."""

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from cll.privacy.datamap import Role

DEMO_PASSWORD = "demo-cll-2026"  # noqa: S105 - printed to the developer; refused in production
DEMO_ACCOUNTS = [
    ("alice@demo.cll.be", "learner", ()),
    ("bob@demo.cll.be", "teacher", (Role.TEACHER,)),
    ("dora@demo.cll.be", "privacy officer", (Role.PRIVACY_OFFICER,)),
    ("gina@demo.cll.be", "guardian", ()),
    ("admin@demo.cll.be", "administrator", (Role.ADMINISTRATOR,)),
]


class Command(BaseCommand):
    help = "Create the demo accounts (idempotent) and print them. Refused in production."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("Demo accounts are never created in production.")
        User = get_user_model()
        for email, persona, roles in DEMO_ACCOUNTS:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(
                    email=email,
                    password=DEMO_PASSWORD,
                    is_staff=bool(roles),
                    is_superuser=Role.ADMINISTRATOR in roles,
                )
                user.groups.set(Group.objects.filter(name__in=roles))
            # Demo addresses cannot receive mail: mark them verified so the accounts can sign in.
            EmailAddress.objects.update_or_create(
                user=user, email=email, defaults={"verified": True, "primary": True}
            )
            self.stdout.write(f"  {persona:<16} {email:<22} password: {DEMO_PASSWORD}")
        self.stdout.write(
            "  Staff accounts set up two-factor authentication at their first visit to /admin/."
        )
