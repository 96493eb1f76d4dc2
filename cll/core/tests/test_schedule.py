"""The scheduler (manage.py crontask) runs the outbox sweeper every minute and the prune daily."""

from __future__ import annotations

from crontask import scheduler

import cll.core.tasks  # noqa: F401  (registers the jobs, as crontask's task loading does)


def _job(name: str):
    (job,) = [job for job in scheduler.get_jobs() if job.name == name]
    return job


def _trigger(name: str) -> str:
    return str(_job(name).trigger)


def test_it_sweeps_the_outbox_every_minute():
    trigger = _trigger("outbox_flush")
    assert "minute='*'" in trigger
    assert "hour='*'" in trigger


def test_it_prunes_the_outbox_once_a_day():
    trigger = _trigger("outbox_prune")
    assert "hour='3'" in trigger
    assert "minute='17'" in trigger
    # Local time, so "a quiet hour" stays quiet across daylight-saving changes.
    assert str(_job("outbox_prune").trigger.timezone) == "Europe/Brussels"
