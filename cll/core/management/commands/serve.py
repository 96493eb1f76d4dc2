"""Run the whole site on one machine: web server, task worker and scheduler, supervised.

This is the embedded layout used by the README's first command. One ASGI process answers both
pages and websockets for simplicity; the production layout (pages over WSGI, ``/ws/`` over
ASGI behind a reverse proxy) is described in docs/architecture.md and measured in bench/.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from cll.core.serving import SERVING


class Command(BaseCommand):
    help = "Serve the site with its background worker and scheduler until interrupted."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1, help="Web server processes.")
        parser.add_argument("--no-worker", action="store_true", help="Do not run the tasks.")

    def processes(self, options) -> dict[str, list[str]]:
        python = sys.executable
        manage = str(Path(settings.BASE_DIR) / "manage.py")
        # The Redis worker exits when its queue is empty unless told to keep going.
        worker = (
            ["run_redis_tasks", "--continuous"]
            if settings.TASKS_BACKEND == "redis"
            else ["db_worker", "--no-startup-delay"]
        )
        commands = {
            "web": [
                str(Path(python).parent / "granian"),
                # Django's ASGI handler has no lifespan support: "asginl" skips the probe.
                "--interface",
                "asginl",
                "--host",
                options["host"],
                "--port",
                str(options["port"]),
                "--workers",
                str(options["workers"]),
                "--log-level",
                "warning",
                "cll.asgi:application",
            ],
        }
        if not options["no_worker"]:
            commands["worker"] = [python, manage, *worker]
            commands["scheduler"] = [python, manage, "crontask", "--no-heartbeat"]
        return commands

    def handle(self, *args, **options):
        # Nothing starts (web server, worker, scheduler) while a "serving" check fails, e.g. a
        # database restored behind the erasure journal (cll/core/serving.py): Django prints
        # the errors and their hints, and the command exits with status 1.
        self.check(tags=[SERVING], include_deployment_checks=True)
        children: dict[str, subprocess.Popen] = {}
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        for name, command in self.processes(options).items():
            # Fixed argument lists built above, never from user input.
            children[name] = subprocess.Popen(command, env=env, cwd=settings.BASE_DIR)  # noqa: S603
        self.stdout.write(
            self.style.SUCCESS(f"Serving on http://{options['host']}:{options['port']}/")
            + f" ({', '.join(children)}); Ctrl+C stops."
        )
        failed = ""
        while not stopping:
            for name, child in children.items():
                if child.poll() is not None:
                    failed, stopping = name, True
            time.sleep(0.5)
        for child in children.values():
            if child.poll() is None:
                child.terminate()
        for child in children.values():
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
        if failed:
            self.stderr.write(f"The {failed} process stopped unexpectedly; everything stopped.")
            sys.exit(1)
