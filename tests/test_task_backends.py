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
def test_it_runs_a_task_with_the_database_worker():
    result = add.enqueue(2, 3)
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    result.refresh()
    assert result.status == "SUCCESSFUL"
    assert result.return_value == 5


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (CI sets it)")
def test_it_runs_a_task_with_the_redis_worker(tmp_path):
    """Enqueue and work in separate processes, as on several machines."""
    env = {
        **os.environ,
        "CLL_TASKS_BACKEND": "redis",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'tasks.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "cll.test",
    }
    env.pop("PYTEST_CURRENT_TEST", None)
    enqueue = (
        "import django; django.setup();"
        "from tests.tasks_fixture import add; print(add.enqueue(20, 22).id)"
    )
    task_id = (
        subprocess.run(
            [sys.executable, "-c", enqueue],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    subprocess.run(
        [sys.executable, "manage.py", "run_redis_tasks"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=60,
    )
    check = (
        "import django; django.setup();"
        f"from tests.tasks_fixture import add; r = add.get_result({task_id!r});"
        "print(r.status, r.return_value)"
    )
    out = (
        subprocess.run(
            [sys.executable, "-c", check],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    assert out == "SUCCESSFUL 42"
