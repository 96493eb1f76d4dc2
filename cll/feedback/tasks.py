"""Background jobs of feedback.

- ``feedback_invitations_send``, daily at 10:00 from the scheduler (``manage.py crontask``):
  invites the learners of the sessions that ended to rate them (rules in services.py). It is
  idempotent: a run that finds nothing new sends nothing, and a missed day is caught up by the
  next run while the session is still in the window.
"""

from __future__ import annotations

from crontask import cron
from django.tasks import task

from cll.feedback import services


# In the morning: an invitation is an e-mail people read, not one sent at night.
@cron("0 10 * * *")
@task
def feedback_invitations_send() -> dict[str, int]:
    """Invite the learners of the sessions that ended to rate them."""
    return {"invited": services.invitations_send_due()}
