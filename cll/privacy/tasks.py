"""Daily retention jobs for the third-party tables of the data map (see retention.py)."""

from __future__ import annotations

from crontask import cron
from django.tasks import task

from cll.privacy import retention


@cron("7 3 * * *")
@task
def prune_third_party_tables() -> int:
    """Expired sessions (and their "my sessions" rows), old admin log rows and old task results;
    returns admin rows deleted."""
    retention.prune_sessions()
    retention.prune_user_sessions()
    retention.prune_task_results()
    # Parental consent requests past their 7 days: deleted, their data key shredded.
    from cll.accounts.services import parental_consent_requests_purge

    parental_consent_requests_purge()
    return retention.prune_admin_log()
