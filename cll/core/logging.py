"""Structured logs without personal data.

Production writes one JSON object per line. A filter blanks what looks like an e-mail address,
an IP address or a phone number in the message, so a careless ``logger.info(f"... {email}")``
cannot leak personal data into log storage (which has its own, longer, retention). The JSON
formatter scrubs again, so a handler configured without the filter still leaks nothing.

The patterns leave alone what logs legitimately carry: UUIDs (public ids), ISO dates and
times, durations and counts. A record about a request (Django's "Not Found: /path", "Forbidden",
"Internal Server Error") names its path without the secrets e-mailed links carry in it
(``cll.core.urlscrub``), and never its query string.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

from cll.core.urlscrub import path_without_secrets

_HEX4 = r"[0-9A-Fa-f]{1,4}"
_PATTERNS = [
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[email]"),
    # IPv6: full form, or compressed with "::" (2001:db8::1, ::1, fe80::1%eth0).
    (
        re.compile(
            rf"(?<![\w:])(?:(?:{_HEX4}:){{7}}{_HEX4}"
            rf"|(?:{_HEX4}:){{1,7}}:(?:{_HEX4}(?::{_HEX4}){{0,6}})?"
            rf"|::{_HEX4}(?::{_HEX4}){{0,6}})(?:%\w+)?(?![\w:])"
        ),
        "[ip]",
    ),
    (re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])"), "[ip]"),
    # Phone numbers: 8 to 15 digits with the usual separators (+32 470 12 34 56, 02/123.45.67),
    # not inside a longer token (a UUID's last group) and not an ISO date (2025-01-31).
    (
        re.compile(
            r"(?<![\w.:/-])(?!\d{4}-\d{2}-\d{2})(?:\+|00)?\d(?:[ .()/-]{0,2}\d){7,14}(?!\w)"
        ),
        "[phone]",
    ),
]


def scrub(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _request_path_scrubbed(message: str, record: logging.LogRecord) -> str:
    request = getattr(record, "request", None)
    path = getattr(request, "path", None)
    if not isinstance(path, str) or not path or path not in message:
        return message
    clean = path_without_secrets(path, getattr(request, "resolver_match", None))
    full = request.get_full_path() if hasattr(request, "get_full_path") else path
    if full != path:
        message = message.replace(full, clean)
    return message.replace(path, clean)


def scrubbed_message(record: logging.LogRecord) -> str:
    """The record's message without personal data nor the secrets of its request's path."""
    try:
        message = record.getMessage()
    except Exception:
        # A malformed call (wrong number of %-arguments) must not hide the event, nor print
        # its raw arguments.
        message = f"{record.msg} [unformattable arguments]"
    return scrub(_request_path_scrubbed(str(message), record))


class ScrubPersonalData(logging.Filter):
    """Replace the record's message by its scrubbed rendering (arguments included)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrubbed_message(record)
        record.args = None
        return True


class JsonFormatter(logging.Formatter):
    # Attributes every LogRecord has; anything else was passed through ``extra=`` on purpose.
    _STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": scrubbed_message(record),
        }
        for key, value in vars(record).items():
            if key not in self._STANDARD and not key.startswith("_") and key != "request":
                entry[key] = value if isinstance(value, int | float | bool) else scrub(str(value))
        if record.exc_info:
            entry["exception"] = scrub(self.formatException(record.exc_info))
        elif record.exc_text:
            entry["exception"] = scrub(record.exc_text)
        if record.stack_info:
            entry["stack"] = scrub(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


class OneLineClientErrors(logging.Filter):
    """Log a refused request (4xx: 403 permission denied, 400 bad request) on one line.

    Django passes the exception that produced a 4xx response to the log (``log_response``), so
    every 403 printed a full traceback: noise that hides the errors worth reading. Its message
    ("Forbidden (Permission denied): /path") says all an operator needs. A 5xx keeps its
    traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
