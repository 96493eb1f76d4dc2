"""Structured logs without personal data.

Production writes one JSON object per line. A filter blanks what looks like an e-mail address,
an IP address or a phone number in the message, so a careless ``logger.info(f"... {email}")``
cannot leak personal data into log storage (which has its own, longer, retention).
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

_PATTERNS = [
    (re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"), "[email]"),
    (re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b"), "[ip]"),
    (re.compile(r"\b(?:[0-9a-fA-F]{1,4}:){3,7}[0-9a-fA-F]{1,4}\b"), "[ip]"),
    (re.compile(r"\+?\d[\d .()/-]{7,}\d"), "[phone]"),
]


def scrub(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class ScrubPersonalData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(record.getMessage())
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
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in self._STANDARD and not key.startswith("_") and key != "request":
                entry[key] = value if isinstance(value, int | float | bool) else scrub(str(value))
        if record.exc_info:
            entry["exception"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)
