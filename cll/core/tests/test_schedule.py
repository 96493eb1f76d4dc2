"""The scheduler (manage.py crontask) runs the outbox sweeper every minute and the retention run
(which prunes the outbox) daily."""

from __future__ import annotations

from crontask import scheduler

import cll.core.tasks
import cll.privacy.tasks  # noqa: F401  (both register their jobs, as crontask's task loading does)


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
    from cll.privacy.retention import PRUNERS

    assert "outbox" in PRUNERS  # run by the daily retention job
    trigger = _trigger("retention_run_daily")
    assert "hour='3'" in trigger
    assert "minute='7'" in trigger
    # Local time, so "a quiet hour" stays quiet across daylight-saving changes.
    assert str(_job("retention_run_daily").trigger.timezone) == "Europe/Brussels"
