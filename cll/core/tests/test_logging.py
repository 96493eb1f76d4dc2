"""Logs never carry e-mail addresses, IP addresses or phone numbers, whatever the code logs."""

from __future__ import annotations

import io
import json
import logging
import uuid

import pytest

from cll.core.logging import JsonFormatter, ScrubPersonalData, scrub


@pytest.fixture
def log():
    """A logger writing JSON lines through the scrub filter, as production does."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ScrubPersonalData())
    logger = logging.getLogger(f"cll.tests.{uuid.uuid4().hex}")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False

    def lines():
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    logger.lines = lines
    return logger


def test_it_removes_an_email_and_an_ip_from_the_message(log):
    log.info("Login failed for %s from %s", "alice.martin+cll@example.org", "203.0.113.42")

    (entry,) = log.lines()
    assert entry["message"] == "Login failed for [email] from [ip]"
    assert entry["level"] == "INFO"
    assert entry["logger"] == log.name
    raw = json.dumps(entry)
    assert "alice" not in raw
    assert "203.0.113.42" not in raw


def test_it_scrubs_extra_fields_and_tracebacks(log):
    try:
        raise ValueError("no account for bob@example.org at 2001:db8::1")
    except ValueError:
        log.exception("Lookup failed", extra={"client": "198.51.100.7", "attempt": 3})

    (entry,) = log.lines()
    assert entry["client"] == "[ip]"
    assert entry["attempt"] == 3
    assert "ValueError: no account for [email] at [ip]" in entry["exception"]
    raw = json.dumps(entry)
    for private in ("bob@example.org", "2001:db8::1", "198.51.100.7"):
        assert private not in raw


def test_the_formatter_scrubs_even_without_the_filter():
    record = logging.makeLogRecord(
        {"msg": "Ticket from %s", "args": ("carol@example.org",), "levelname": "WARNING"}
    )
    assert json.loads(JsonFormatter().format(record))["message"] == "Ticket from [email]"


def test_it_survives_a_malformed_logging_call(log):
    log.info("Two placeholders %s %s", "dora@example.org")

    (entry,) = log.lines()
    assert "dora@example.org" not in json.dumps(entry)
    assert entry["message"].startswith("Two placeholders")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("call +32 470 12 34 56 now", "call [phone] now"),
        ("office 02/123.45.67", "office [phone]"),
        ("mobile 0470123456", "mobile [phone]"),
        ("from ::1 and fe80::1%eth0", "from [ip] and [ip]"),
        ("full 2001:0db8:85a3:0000:0000:8a2e:0370:7334", "full [ip]"),
    ],
)
def test_it_blanks_phone_numbers_and_ipv6(text, expected):
    assert scrub(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        # What logs legitimately carry must survive: ids, dates, times, durations, versions.
        "e-mail 550e8400-e29b-41d4-a716-446655440000 sent",
        "retry at 2026-03-02T09:00:30+00:00",
        "took 1234 ms at 12:30:45",
        "django 6.1.3",
        "SMTP 451 SMTPDataError",
    ],
)
def test_it_keeps_ids_dates_and_durations(text):
    assert scrub(text) == text
