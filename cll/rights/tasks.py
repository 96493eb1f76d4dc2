"""Background jobs of the rights app."""

from __future__ import annotations

from django.tasks import task

from cll.rights import services


@task
def export_build(job_id: str) -> str:
    """Build the data export of one job (queued by ``services.export_start``); returns its
    status. Takes the job's public id only: task arguments are stored, so no personal data."""
    return str(services.export_job_build(job_id=job_id))
