"""Models of the analytics app: the raw access log, the daily visitor salt and the daily
aggregates.

The raw log (``AccessLogBlock``, compressed blocks of requests) is technical data kept for
security and operations (legitimate interest): its IP addresses are truncated after
``ACCESS_LOG_IP_DAYS`` and its blocks deleted after ``ACCESS_LOG_RETENTION_DAYS``. The clickstream
(visitor and visit hashes, exit links) is recorded only for requests whose visitor consented to
analytics and sent no DNT/GPC signal. ``DailyAggregate`` rows are counts, never about one
person, and are kept.
"""

from __future__ import annotations

from django.db import models

# Column widths: longer input is truncated by the writer, never rejected.
PATH_LENGTH = 500
USER_AGENT_LENGTH = 512
REFERRER_LENGTH = 500
KEY_LENGTH = 300


class AccessLogBlock(models.Model):
    """A block of the access log: up to a few thousand consecutive requests of one local day,
    stored compressed (cll/analytics/logstore.py) — the log files of the privacy policy, kept
    the way servers keep theirs (appended in blocks, compressed), not as one row per request.

    - ``ips``: the block's distinct client addresses (JSON list); raw until
      ``ACCESS_LOG_IP_DAYS``, then truncated (IPv4 /24, IPv6 /48) and ``ip_truncated`` set;
    - ``data``: the technical log (time, method, path, status, duration, address index,
      browser, OS, bot flag, language, referrer, network, country) — legitimate interest;
    - ``clickstream``: only for requests whose visitor consented to analytics and sent no
      DNT/GPC signal: the visitor as a keyed hash of IP and User-Agent with the day's salt
      (destroyed the next day), the visit as a hash of the session key with the same salt, and
      the outbound destination of an exit. Null when no request of the block consented.

    Blocks are deleted after ``ACCESS_LOG_RETENTION_DAYS`` (their day aggregated first).
    """

    day = models.DateField()
    # Microseconds since the epoch (UTC) of the block's first and last request.
    first_us = models.BigIntegerField()
    last_us = models.BigIntegerField()
    events = models.PositiveIntegerField()
    ips = models.TextField()
    ip_truncated = models.BooleanField(default=False)
    data = models.BinaryField()
    clickstream = models.BinaryField(null=True, blank=True)

    class Meta:
        indexes = [
            # Aggregation of one day, and retention (blocks before a day).
            models.Index(fields=["day"], name="analytics_block_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day}: {self.events} requests"


class LogSegment(models.Model):
    """A spool file of the access log already ingested (cll/analytics/spool.py).

    Recorded in the same transaction as the file's rows, so a file whose deletion failed after
    the commit (a crash, a full disk) is never ingested twice. Rows older than a day go.
    """

    name = models.CharField(max_length=100, unique=True)
    ingested_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class VisitorSalt(models.Model):
    """The secret that salts visitor hashes for one day; deleted once that day is over, so
    hashes of different days cannot be linked, not even by us."""

    day = models.DateField(unique=True)
    salt = models.BinaryField(max_length=32)

    def __str__(self) -> str:
        return f"salt of {self.day}"


class DailyAggregate(models.Model):
    """One count of one day: ``dimension`` says what is counted (``page``, ``browser``...),
    ``key`` which value (a normalised path, "Firefox"...). Totals use dimension ``total``."""

    class Dimension(models.TextChoices):
        TOTAL = "total"
        PAGE = "page"
        ENTRY = "entry"
        EXIT = "exit"
        EXIT_LINK = "exit_link"
        REFERRER = "referrer"
        BROWSER = "browser"
        OS = "os"
        LANGUAGE = "language"
        NETWORK = "network"
        COUNTRY = "country"
        FUNNEL = "funnel"
        PATH = "path"

    day = models.DateField()
    dimension = models.CharField(max_length=16, choices=Dimension.choices)
    key = models.CharField(max_length=KEY_LENGTH)
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "dimension", "key"], name="analytics_aggregate_unique"
            )
        ]
        indexes = [
            # The dashboard: one dimension over a range of days.
            models.Index(fields=["dimension", "day"], name="analytics_aggregate_dim_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.dimension} {self.key}: {self.count}"
