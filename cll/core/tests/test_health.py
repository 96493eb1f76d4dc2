"""/health: 200 when the database, the cache and the task queue answer; 503 otherwise."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cll.core import health

pytestmark = pytest.mark.django_db


def test_it_reports_every_dependency_healthy(client):
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
    def cache_down():
        raise ConnectionError("redis://:hunter2@cache.internal:6379 refused")

    monkeypatch.setitem(health.CHECKS, "cache", cache_down)

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
