"""Start each way the web server starts, in this process, up to the moment it would answer.

``start_ups()`` returns, for ``serve``, ``runserver``, the WSGI and the ASGI application, whether
it started or refused to; a refusal must name the command that puts it right. Nothing listens
on a port: what would start serving (``serve``'s processes, ``runserver``'s server) is replaced
by an exception, inside a monkeypatch context undone on return.
"""

from __future__ import annotations

import importlib
import sys
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

ENTRY_POINTS = ("serve", "runserver", "wsgi", "asgi")
STARTED = dict.fromkeys(ENTRY_POINTS, "started")
REFUSED = dict.fromkeys(ENTRY_POINTS, "refused")
COMMAND = "manage.py erasure_journal_replay"


class Started(Exception):
    """The server got past every start-up check and would now serve."""


def _would_start(*args, **kwargs):
    raise Started


def _serve(patch: pytest.MonkeyPatch) -> str:
    from cll.core.management.commands import serve

    patch.setattr(serve.subprocess, "Popen", _would_start)
    # serve installs its own SIGINT/SIGTERM handlers: not in the test process.
    patch.setattr(serve.signal, "signal", lambda *args: None)
    try:
        call_command("serve", "--no-worker", stdout=StringIO(), stderr=StringIO())
    except SystemCheckError as refusal:
        assert COMMAND in str(refusal)
        assert "erasure.E003" in str(refusal)
        return "refused"
    except Started:
        return "started"
    raise AssertionError("serve returned without starting anything")


def _runserver(patch: pytest.MonkeyPatch) -> str:
    from django.core.management.commands import runserver

    patch.setattr(runserver, "run", _would_start)
    # runserver loads WSGI_APPLICATION (cll.wsgi) afresh, as in a new process.
    patch.delitem(sys.modules, "cll.wsgi", raising=False)
    try:
        call_command("runserver", "127.0.0.1:8000", use_reloader=False, skip_checks=True)
    except SystemExit as refusal:
        assert refusal.code == 1
        return "refused"
    except Started:
        return "started"
    raise AssertionError("runserver returned without starting anything")


def _application(patch: pytest.MonkeyPatch, module: str) -> str:
    # A WSGI/ASGI server imports the module once, when it starts.
    patch.delitem(sys.modules, module, raising=False)
    try:
        loaded = importlib.import_module(module)
    except SystemExit as refusal:
        assert refusal.code == 1
        return "refused"
    assert callable(loaded.application)
    return "started"


def start_ups(capsys: pytest.CaptureFixture) -> dict[str, str]:
    results = {}
    for name in ENTRY_POINTS:
        capsys.readouterr()
        with pytest.MonkeyPatch.context() as patch:
            if name == "serve":
                results[name] = _serve(patch)
            elif name == "runserver":
                results[name] = _runserver(patch)
            else:
                results[name] = _application(patch, f"cll.{name}")
        printed = capsys.readouterr().err
        if results[name] == "refused" and name != "serve":
            # One clear message, no traceback (serve's is Django's check output, above).
            assert "Error (erasure.E003): The database is behind the erasure journal" in printed
            assert COMMAND in printed
            assert "Traceback" not in printed
    return results
