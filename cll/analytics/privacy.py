"""Data map of the analytics app (see cll/privacy/datamap.py).

Two purposes, two legal bases (Belgian rules, docs in cll/analytics/middleware.py):

- the technical log (IP address, browser, language, referrer, path, time, bot flag) is kept for
  the security and operation of the site under legitimate interest, IPs truncated after
  ``ACCESS_LOG_IP_DAYS`` and its blocks deleted after ``ACCESS_LOG_RETENTION_DAYS``;
- the clickstream linkage (visitor and visit hashes, exit links) exists only with analytics
  consent, never under Do Not Track or Global Privacy Control.

Log rows cannot be tied to an account (``UNLINKED``): retention is what removes them.
"""

from django.conf import settings
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from cll.privacy.datamap import (
    NOT_PERSONAL,
    UNLINKED,
    Basis,
    Category,
    Erasure,
    FieldRule,
    Role,
    purpose,
    register,
    retention_rule,
    same,
)

SITE_OPERATIONS = purpose(
    "site-operations",
    _(
        "Running the site: finding faults and abuse in the server's log files and counting "
        "page views without identifying anyone."
    ),
)
AUDIENCE = purpose(
    "audience-measurement",
    _(
        "Measuring, with your consent, how visitors move through the site (pages visited in "
        "order, entry and exit pages), with an identifier that changes every day."
    ),
)

ACCESS_LOG_IP = retention_rule(
    "access-log-ip",
    format_lazy(
        ngettext_lazy(
            "The IP addresses in the website's access log are shortened after {days} day, so "
            "that they no longer identify a connection.",
            "The IP addresses in the website's access log are shortened after {days} days, so "
            "that they no longer identify a connection.",
            settings.ACCESS_LOG_IP_DAYS,
        ),
        days=settings.ACCESS_LOG_IP_DAYS,
    ),
    days=settings.ACCESS_LOG_IP_DAYS,
)
ACCESS_LOG = retention_rule(
    "access-log",
    format_lazy(
        ngettext_lazy(
            "The lines of the website's access log are deleted after {days} day; only daily "
            "totals are kept.",
            "The lines of the website's access log are deleted after {days} days; only daily "
            "totals are kept.",
            settings.ACCESS_LOG_RETENTION_DAYS,
        ),
        days=settings.ACCESS_LOG_RETENTION_DAYS,
    ),
    days=settings.ACCESS_LOG_RETENTION_DAYS,
)
VISITOR_SALT = retention_rule(
    "visitor-salt",
    _(
        "The daily secret used to count visitors without recognising them is destroyed once "
        "the day is over."
    ),
    days=1,
)

# Operations staff may read the raw log (services.log_rows); Marketing sees only the
# aggregates (DailyAggregate).
_LOG_READERS = (Role.ADMINISTRATOR, Role.PRIVACY_OFFICER)

_TECHNICAL = FieldRule(
    Category.TECHNICAL,
    (SITE_OPERATIONS, "security"),
    Basis.LEGITIMATE_INTEREST,
    ACCESS_LOG,
    Erasure.DELETE,
    readers=_LOG_READERS,
)
_CLICKSTREAM = FieldRule(
    Category.TECHNICAL,
    (AUDIENCE,),
    Basis.CONSENT,
    ACCESS_LOG,
    Erasure.DELETE,
    readers=_LOG_READERS,
)

register(
    "analytics.AccessLogBlock",
    title=_("The website's access log"),
    subject=UNLINKED,
    description=(
        "The access log (log files of the privacy policy), in compressed blocks of requests: "
        "time, method, path, status, duration, browser, OS, bot flag, language, referring page, "
        "network and country of each request."
    ),
    fields={
        **same(NOT_PERSONAL, "id", "events", "ip_truncated"),
        **same(_TECHNICAL, "day", "first_us", "last_us", "data"),
        "ips": FieldRule(
            Category.TECHNICAL,
            (SITE_OPERATIONS, "security"),
            Basis.LEGITIMATE_INTEREST,
            ACCESS_LOG_IP,
            Erasure.DELETE,
            readers=_LOG_READERS,
        ),
        # Visitor and visit hashes and exit links, per consenting request.
        "clickstream": _CLICKSTREAM,
    },
)

register(
    "analytics.LogSegment",
    subject=None,
    description="Names of the access-log spool files already ingested (no content).",
    fields=same(NOT_PERSONAL, "id", "name", "ingested_at"),
)

register(
    "analytics.VisitorSalt",
    subject=None,
    description="The secret salting one day's visitor hashes; destroyed after that day.",
    fields={
        "id": NOT_PERSONAL,
        "day": NOT_PERSONAL,
        "salt": FieldRule(Category.NONE, (), Basis.NONE, VISITOR_SALT, Erasure.DELETE, readers=()),
    },
)

register(
    "analytics.DailyAggregate",
    subject=None,
    description="Daily counts of the access log (page views, browsers...): not personal data.",
    fields=same(NOT_PERSONAL, "id", "day", "dimension", "key", "count"),
)
