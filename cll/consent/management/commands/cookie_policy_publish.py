from django.core.management.base import BaseCommand

from cll.consent.services import cookie_policy_publish


class Command(BaseCommand):
    help = (
        "Publish a new version of the cookie policy when the cookie registry "
        "(cll/consent/registry.py) changed; every published version is kept. Also run after "
        "every migrate."
    )

    def handle(self, *args, **options):
        version = cookie_policy_publish()
        if version is None:
            self.stdout.write("The cookie policy is up to date.")
        else:
            self.stdout.write(f"Published cookie policy version {version.number}.")
