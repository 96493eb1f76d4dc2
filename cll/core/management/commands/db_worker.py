"""``manage.py db_worker``: django-tasks-db's worker, refusing to start where the site may not
serve (the ``serving`` checks, cll/core/serving.py). On a restored database still behind the
erasure journal, a worker would deliver that database's queued e-mails to people erased since
the backup was taken."""

from __future__ import annotations

from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from cll.core.serving import refuse_to_serve_unless_ready


class Command(DbWorkerCommand):
    def handle(self, *args, **options):
        refuse_to_serve_unless_ready(self.stderr)
        return super().handle(*args, **options)
