"""Models of the analytics app: the raw access log, the daily visitor salt and the daily
aggregates.

The raw log (``AccessEvent``) is technical data kept for security and operations (legitimate
interest): its IP addresses are truncated after ``ACCESS_LOG_IP_DAYS`` and its rows deleted after
``ACCESS_LOG_RETENTION_DAYS``. The clickstream columns (``visitor``, ``visit``, ``exit_url``) are
filled only for requests whose visitor consented to analytics and sent no DNT/GPC signal.
``DailyAggregate`` rows are counts, never about one person, and are kept.
"""

from __future__ import annotations

from django.db import models

# Column widths: longer input is truncated by the writer, never rejected.
PATH_LENGTH = 500
USER_AGENT_LENGTH = 512
REFERRER_LENGTH = 500
KEY_LENGTH = 300


class LogRowIdField(models.BigAutoField):
    """A 64-bit row id without SQLite's ``AUTOINCREMENT`` (Django's default on SQLite).

    ``AUTOINCREMENT`` keeps the largest id ever used in ``sqlite_sequence`` and updates it on
    every insert, which the access log (one row per request) pays for nothing: a plain
    ``INTEGER PRIMARY KEY`` is SQLite's rowid, assigned as the largest id + 1. The only
    difference, ids of deleted newest rows being reused, does not matter for a log whose
    oldest rows are the ones deleted. PostgreSQL: unchanged (an identity column).
    """

    def db_type_suffix(self, connection):
        if connection.vendor == "sqlite":
            return None
        return super().db_type_suffix(connection)


class AccessEvent(models.Model):
    """One request to the site, as recorded by the access-log writer (off the request path)."""

    id = LogRowIdField(primary_key=True)
    time = models.DateTimeField()
    # The local calendar day of ``time`` (Europe/Brussels): what aggregation and retention
    # select by.
    day = models.DateField()
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=PATH_LENGTH)
    status = models.PositiveSmallIntegerField()
    duration_ms = models.PositiveIntegerField(default=0)
    # Raw until ACCESS_LOG_IP_DAYS, then truncated (IPv4 /24, IPv6 /48) and ip_truncated set.
    ip = models.CharField(max_length=45, blank=True)
    ip_truncated = models.BooleanField(default=False)
    user_agent = models.CharField(max_length=USER_AGENT_LENGTH, blank=True)
    # Query string and fragment removed: they can carry search terms or tokens.
    referrer = models.CharField(max_length=REFERRER_LENGTH, blank=True)
    # Empty when there was no referrer or it was one of our own pages.
    referrer_host = models.CharField(max_length=255, blank=True)
    # Derived by the writer from the columns above (ua-parser, Accept-Language, offline data).
    browser = models.CharField(max_length=64, blank=True)
    os = models.CharField(max_length=64, blank=True)
    language = models.CharField(max_length=16, blank=True)
    network = models.CharField(max_length=64, blank=True)
    country = models.CharField(max_length=16, blank=True)
    is_bot = models.BooleanField(default=False)
    # A successful GET of a page (not an exit redirect): what "page views" count.
    page_view = models.BooleanField(default=False)
    # Clickstream, only with analytics consent and no DNT/GPC: the visitor as a hash of IP and
    # User-Agent with the day's salt (destroyed the next day), the visit as a hash of the
    # session key with the same salt (empty without a session), and the outbound destination.
    visitor = models.CharField(max_length=32, blank=True)
    visit = models.CharField(max_length=32, blank=True)
    exit_url = models.CharField(max_length=PATH_LENGTH, blank=True)

    class Meta:
        indexes = [
            # Aggregation of one day, and retention (rows before a day).
            models.Index(fields=["day"], name="analytics_event_day"),
        ]

    def __str__(self) -> str:
        return f"{self.time:%Y-%m-%d %H:%M:%S} {self.method} {self.path} {self.status}"


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
