"""Background jobs of the newsletter (cll/newsletter/sending.py has the rules).

- ``campaign_send_run``, queued when a campaign starts (and again by itself for the next due
  retry): sends the campaign's pending deliveries over ``NEWSLETTER_SMTP_CONNECTIONS`` SMTP
  sessions. Several workers may run it for the same campaign: they share the deliveries.
- ``campaigns_sending_due``, every minute from the scheduler (``manage.py crontask``): starts
  the scheduled campaigns whose time has come, and queues the sending again for campaigns that
  stopped moving (a worker killed mid-campaign, a lost task), so sending resumes by itself.
"""

from __future__ import annotations

from crontask import cron
from django.tasks import task

from cll.newsletter import sending
from cll.newsletter.models import Campaign


@task
def campaign_send_run(campaign_public_id: str) -> dict:
    """Send a campaign's due deliveries; returns the counts of this run."""
    campaign = Campaign.objects.filter(public_id=campaign_public_id).first()
    if campaign is None:
        return {"outcome": "unknown campaign"}
    report = sending.campaign_send(campaign=campaign)
    if not report.finished and report.next_due is not None:
        # Retries wait for their time; without deferred tasks the minute job takes them up.
        sending.campaign_send_enqueue(campaign_public_id, run_after=report.next_due)
    return report.as_dict()


@cron("* * * * *")
@task
def campaigns_sending_due() -> dict[str, int]:
    """Start the campaigns whose time has come; resume the ones whose sending stopped."""
    return {
        "started": sending.campaigns_start_due(),
        "resumed": sending.campaigns_resume_stalled(),
    }
