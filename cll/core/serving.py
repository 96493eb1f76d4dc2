"""What must hold before the site serves anyone: the system checks tagged ``serving``.

An app that owns such a condition registers a deployment check with this tag
(``@checks.register(SERVING, deploy=True)``; the erasure journal's ``erasure.E003`` is one):
this layer knows only the tag. Being deployment checks, they never run for other commands
(``migrate``, ``erasure_journal_replay``, ``backup``, the test suite's set-up), which must keep
working to put things right. They run where the web server starts:

- ``manage.py serve``, before it starts any process (``Command.check``, Django's output);
- ``cll/wsgi.py`` and ``cll/asgi.py``, once the application is loaded: granian, any WSGI/ASGI
  server, and ``runserver``, which loads ``WSGI_APPLICATION``;
- ``manage.py check --deploy`` lists them with the rest of the deployment checklist.

Each check must be cheap (they run at every start) and work before ``migrate`` has run.
"""

from __future__ import annotations

import sys
from typing import TextIO

from django.core import checks

SERVING = "serving"
# The exit status of a refused start (2 is a configuration error, cll/lib/env.py; 3 would
# make runserver's autoreloader start it again and again).
REFUSED = 1


def serving_problems() -> list[checks.CheckMessage]:
    """Every message of the ``serving`` checks (errors refuse the start, warnings are shown)."""
    return checks.run_checks(tags=[SERVING], include_deployment_checks=True)


def refuse_to_serve_unless_ready(stream: TextIO | None = None) -> None:
    """Print the ``serving`` checks' messages; exit with ``REFUSED`` if one is an error.

    For the WSGI/ASGI entry points: a server that imports the application stops before it
    answers anyone, with a few clear lines instead of a traceback.
    """
    stream = stream or sys.stderr
    problems = serving_problems()
    for problem in problems:
        level = "Error" if problem.is_serious() else "Warning"
        print(f"{level} ({problem.id}): {problem.msg}", file=stream)
        if problem.hint:
            print(f"  {problem.hint}", file=stream)
    if any(problem.is_serious() for problem in problems):
        print("The site refuses to start until this is done.", file=stream)
        raise SystemExit(REFUSED)
