"""Background jobs of the platform core: e-mail delivery and its clean-up.

``outbox_deliver`` is enqueued once per message when its transaction commits (and again with
``run_after`` after a temporary failure). ``outbox_flush`` runs every minute from the scheduler
(``manage.py crontask``) as the safety net: it delivers anything due that no task is carrying
(the enqueue failed, a worker died) and recovers rows a dead worker left "sending". Old
messages are pruned by the daily retention run (``cll.privacy.tasks.retention_run_daily``, the
"outbox" pruner).
"""

from __future__ import annotations

from crontask import cron
from django.tasks import task

# upload_tasks: the upload store's jobs (rescan of quarantined files, orphan files);
# crontask loads <app>.tasks only.
from cll.core import outbox, upload_tasks  # noqa: F401


@task
def outbox_deliver(email_id: str) -> str:
    """One delivery attempt of one message; returns the outcome (sent, retry, failed...)."""
    return str(outbox.email_deliver(email_id=email_id))


@cron("* * * * *")
@task
def outbox_flush() -> dict[str, int]:
    """Recover messages stuck in "sending", then deliver every due queued message."""
    recovered = outbox.outbox_recover_stuck()
    counts = outbox.outbox_deliver_due()
    return {"recovered": recovered, **{str(key): value for key, value in counts.items()}}
