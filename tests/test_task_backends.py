"""Background tasks run on the database backend (default) and on the Redis backend."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.tasks_fixture import add

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db(transaction=True)
def test_it_runs_a_task_with_the_database_worker(settings, tmp_path):
    # The worker refuses to start on a database behind the erasure journal (cll/core/serving.py):
    # a journal of its own, not the one other tests' rolled-back erasures ran ahead.
    settings.ERASURE_JOURNAL = tmp_path / "erasure-journal.jsonl"
    result = add.enqueue(2, 3)
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    result.refresh()
    assert result.status == "SUCCESSFUL"
    assert result.return_value == 5


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (CI sets it)")
def test_it_runs_a_task_with_the_redis_worker(tmp_path):
    """Enqueue, work and read the result in three processes, as on several machines."""
    env = {
        **os.environ,
        "CLL_TASKS_BACKEND": "redis",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'tasks.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "cll.test",
    }
    env.pop("PYTEST_CURRENT_TEST", None)

    def run(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, *args],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        return result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""

    setup = "import django; django.setup(); from tests.tasks_fixture import add;"
    task_id = run("-c", f"{setup} print(add.enqueue(20, 22).id)")
    run("manage.py", "run_redis_tasks")
    result = run("-c", f"{setup} r = add.get_result({task_id!r}); print(r.status, r.return_value)")
    assert result == "SUCCESSFUL 42"
