"""``manage.py crontask``: django-crontask's scheduler, refusing to start where the site may not
serve (the ``serving`` checks, cll/core/serving.py): its periodic jobs (retention, reminders,
e-mail delivery) must not run on a restored database still behind the erasure journal."""

from __future__ import annotations

from crontask.management.commands.crontask import Command as CrontaskCommand

from cll.core.serving import refuse_to_serve_unless_ready


class Command(CrontaskCommand):
    def handle(self, *args, **options):
        refuse_to_serve_unless_ready(self.stderr)
        return super().handle(*args, **options)
