"""Dependency checks behind ``/health``: database, cache and task queue."""

from __future__ import annotations

import ipaddress
import time
import uuid
from collections.abc import Callable

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest
from django.tasks import default_task_backend
from django.tasks.exceptions import TaskResultDoesNotExist


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _cache() -> None:
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "1", 5)
    if cache.get(key) != "1":
        raise RuntimeError("cache did not return the value it was given")
    cache.delete(key)


def _tasks() -> None:
    backend = default_task_backend
    # The database backend stores tasks in a table; Redis backends in Redis. Either way, reading
    # a result that does not exist must answer "not found", proving the store is reachable.

    try:
        backend.get_result(str(uuid.uuid4()))
    except TaskResultDoesNotExist:
        return


CHECKS: dict[str, Callable[[], None]] = {
    "database": _database,
    "cache": _cache,
    "tasks": _tasks,
}


def run_checks() -> dict[str, dict]:
    results = {}
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            check()
        except Exception as exc:
            results[name] = {"ok": False, "error": type(exc).__name__}
        else:
            results[name] = {"ok": True}
        results[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return results


def _from_this_machine(request: HttpRequest) -> bool:
    """A request from a loopback address that no proxy forwarded.

    The reverse proxy connects from loopback when it runs on the same host, so a loopback peer
    alone proves nothing: a forwarded request (``X-Forwarded-For`` or ``Forwarded``, which the
    proxy adds) came from somewhere else.
    """
    if "X-Forwarded-For" in request.headers or "Forwarded" in request.headers:
        return False
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


def health_details_allowed(request: HttpRequest) -> bool:
    """Whether ``/health`` may show each check and its timing: to signed-in staff and to a
    request made on this machine (an operator's curl, a local monitor); anyone else gets the
    status only."""
    # The address first: it costs no query (the user is loaded from the session lazily).
    if _from_this_machine(request):
        return True
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_staff)
