"""/health: 200 when the database, the cache and the task queue answer; 503 otherwise. The
status for anyone; each check and its timing for signed-in staff and requests made on this
machine only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cll.core import health

pytestmark = pytest.mark.django_db

# A visitor on the internet (the test client's default address is loopback).
REMOTE = {"REMOTE_ADDR": "203.0.113.9"}


def _cache_down(monkeypatch):
    def cache_down():
        raise ConnectionError("redis://:hunter2@cache.internal:6379 refused")

    monkeypatch.setitem(health.CHECKS, "cache", cache_down)


def test_it_reports_every_dependency_healthy(client):
    # The test client calls from 127.0.0.1 without a proxy header: this machine, details shown.
    response = client.get(reverse("health"))

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "tasks"}
    for result in body["checks"].values():
        assert result["ok"] is True
        assert result["ms"] >= 0
    # A load balancer must never get a cached answer.
    assert "no-cache" in response["Cache-Control"]


def test_it_answers_503_naming_the_failing_check(client, monkeypatch):
    _cache_down(monkeypatch)

    response = client.get(reverse("health"))

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["cache"]["ok"] is False
    assert body["checks"]["cache"]["error"] == "ConnectionError"
    assert body["checks"]["database"]["ok"] is True
    # The exception class only: messages can hold hosts and credentials.
    assert b"hunter2" not in response.content
    assert b"cache.internal" not in response.content


def test_it_gives_a_remote_visitor_the_status_only(client):
    response = client.get(reverse("health"), **REMOTE)

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    for internal in (b"database", b"cache", b"tasks", b"ms"):
        assert internal not in response.content


def test_it_answers_503_to_a_remote_visitor_without_naming_the_check(client, monkeypatch):
    _cache_down(monkeypatch)

    response = client.get(reverse("health"), **REMOTE)

    assert response.status_code == 503
    assert response.json() == {"status": "degraded"}
    assert b"cache" not in response.content


def test_it_gives_a_signed_in_learner_the_status_only(client, alice):
    client.force_login(alice)

    response = client.get(reverse("health"), **REMOTE)

    assert response.json() == {"status": "ok"}


def test_it_shows_the_checks_to_signed_in_staff(client, dora, monkeypatch):
    _cache_down(monkeypatch)
    client.force_login(dora)

    response = client.get(reverse("health"), **REMOTE)

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert set(checks) == {"database", "cache", "tasks"}
    assert checks["cache"] == {"ok": False, "error": "ConnectionError", "ms": checks["cache"]["ms"]}


@pytest.mark.parametrize("address", ["127.0.0.1", "::1"])
def test_it_shows_the_checks_on_this_machine(client, address):
    response = client.get(reverse("health"), REMOTE_ADDR=address)

    assert set(response.json()["checks"]) == {"database", "cache", "tasks"}


@pytest.mark.parametrize(
    "header", [{"X-Forwarded-For": "203.0.113.9"}, {"Forwarded": "for=203.0.113.9"}]
)
def test_it_treats_a_request_forwarded_by_a_local_proxy_as_remote(client, header):
    # In production the reverse proxy on the same host connects from loopback.
    response = client.get(reverse("health"), headers=header, REMOTE_ADDR="127.0.0.1")

    assert response.json() == {"status": "ok"}


def test_it_fails_the_database_check_when_the_database_is_unreachable(monkeypatch):
    from django.db import connection
    from django.db.utils import OperationalError

    def broken_cursor(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken_cursor)

    results = health.run_checks()

    assert results["database"]["ok"] is False
    assert results["database"]["error"] == "OperationalError"


def test_it_fails_the_tasks_check_when_the_queue_answers_wrongly(monkeypatch):
    class Broken:
        def get_result(self, result_id):
            raise RuntimeError("queue store unreachable")

    monkeypatch.setattr(health, "default_task_backend", Broken())

    result = health.run_checks()["tasks"]
    assert result["ok"] is False
    assert result["error"] == "RuntimeError"


def test_it_only_answers_get(client):
    assert client.post(reverse("health")).status_code == 405
