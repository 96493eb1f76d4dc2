"""Demo data-subject requests for the embedded set-up: the privacy officer's queue is not
empty. Run after load_demo_accounts (the requests are the demo learners'). Never in production."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from cll.dsar import services
from cll.dsar.models import DataSubjectRequest

Type = DataSubjectRequest.Type

# (learner, type, what they wrote, the language they wrote in)
DEMO_REQUESTS = [
    (
        "alice@demo.cll.be",
        Type.ACCESS,
        "Je voudrais savoir quelles données vous conservez à mon sujet, et depuis quand.",
        "fr",
    ),
    (
        "lucas@demo.cll.be",
        Type.RECTIFICATION,
        "Mijn adres is gewijzigd: ik woon nu in de Tiensestraat 5, 3000 Leuven.",
        "nl",
    ),
]


class Command(BaseCommand):
    help = (
        "Put demo data-subject requests from the demo learners in the privacy officer's queue "
        "(idempotent; run after load_demo_accounts). Refused in production."
    )

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("Demo requests are never created in production.")
        User = get_user_model()
        created = 0
        for email, kind, details, language in DEMO_REQUESTS:
            user = User.objects.filter(email=email).first()
            if user is None:
                raise CommandError(f"{email} does not exist: run load_demo_accounts first.")
            if DataSubjectRequest.objects.filter(account=user, type=kind).exists():
                continue
            # Signed in and asking about their own address: open at once (no e-mailed link).
            services.request_submit(
                type=kind, email=email, details=details, language=language, user=user
            )
            created += 1
        if options["verbosity"] > 0:
            self.stdout.write(f"Demo privacy requests: {created} created.")
