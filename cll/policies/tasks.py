"""Background jobs of the policies app: announcing a material change, and deemed acceptance."""

from __future__ import annotations

from crontask import cron
from django.tasks import task

from cll.policies import services
from cll.policies.models import PolicyVersion


@task
def policy_announce_task(version_public_id: str) -> int:
    """E-mail a published material change to everyone concerned (batched, each person once)."""
    version = PolicyVersion.objects.filter(public_id=version_public_id).first()
    if version is None:
        return 0
    return services.policy_announce(version=version)


# Daily, at a quiet hour (Europe/Brussels): the objection period is counted in days.
@cron("37 3 * * *")
@task
def policy_deemed_task() -> dict[str, int]:
    """Finish unfinished announcements, then record deemed acceptances whose period ended."""
    announced = services.policy_announcements_resume()
    deemed = services.policy_deemed_record()
    return {"announced": announced, "deemed": deemed}
