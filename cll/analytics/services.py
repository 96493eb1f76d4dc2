"""Writes of the analytics app: ingesting the access log, daily aggregates, salts and signed
outbound links (retention: cll/analytics/retention.py).

Everything here runs off the request path: in the access-log writer thread, in periodic tasks
or in management commands.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import itertools
import secrets
import time
import zoneinfo
from collections import Counter
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.db import connection, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation

from cll.analytics import parsing
from cll.analytics.logbuffer import Event
from cll.analytics.models import KEY_LENGTH, AccessEvent, DailyAggregate, VisitorSalt

D = DailyAggregate.Dimension

# A visit ends after this long without a page view (the usual web-analytics convention).
VISIT_GAP = dt.timedelta(minutes=30)
# How many rows the long-tailed dimensions keep per day.
TOP_PATHS = 200
TOP_REFERRERS = 500
# The funnel, by URL name: a step counts when a visit reaches a page under that URL (in any
# language) after the previous step. Steps whose URL does not exist yet (the shop) count 0.
FUNNEL_STEPS: tuple[tuple[str, str], ...] = (
    ("catalogue", "courses:session_list"),
    ("cart", "shop:cart"),
    ("order", "shop:order_list"),
)
OUTBOUND_SALT = "cll.analytics.outbound"

# -- Outbound links ---------------------------------------------------------------------------


def outbound_token(*, url: str) -> str:
    """The token of the exit redirect for ``url`` (http or https only)."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise ValueError("Only http and https links go through the exit redirect.")
    return signing.dumps(url, salt=OUTBOUND_SALT, compress=True)


def outbound_destination(*, token: str) -> str | None:
    """The destination a token was signed for, or None: only links we made redirect."""
    try:
        url = signing.loads(token, salt=OUTBOUND_SALT)
    except (signing.BadSignature, ValueError):
        return None
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
        return None
    return url


# -- Ingestion --------------------------------------------------------------------------------

_COLUMNS = (
    "time",
    "day",
    "method",
    "path",
    "status",
    "duration_ms",
    "ip",
    "ip_truncated",
    "user_agent",
    "referrer",
    "referrer_host",
    "browser",
    "os",
    "language",
    "network",
    "country",
    "is_bot",
    "page_view",
    "visitor",
    "visit",
    "exit_url",
)


def _insert_statement() -> str:
    # Built from the model's own metadata (no input reaches it); values are bound parameters.
    quote = connection.ops.quote_name
    columns = ", ".join(quote(AccessEvent._meta.get_field(name).column) for name in _COLUMNS)
    placeholders = ", ".join(["%s"] * len(_COLUMNS))
    table = quote(AccessEvent._meta.db_table)
    return f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608


class _LocalDays:
    """The local calendar day of a timestamp, computed once per day rather than per event."""

    def __init__(self) -> None:
        self.zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        self.start = self.end = 0.0
        self.day = dt.date.min

    def __call__(self, timestamp: float) -> dt.date:
        if not self.start <= timestamp < self.end:
            local = dt.datetime.fromtimestamp(timestamp, self.zone)
            self.day = local.date()
            midnight = dt.datetime.combine(self.day, dt.time(), self.zone)
            self.start = midnight.timestamp()
            # A day with a DST change has 23 or 25 hours: the end is the next local midnight.
            next_midnight = dt.datetime.combine(
                self.day + dt.timedelta(days=1), dt.time(), self.zone
            )
            self.end = next_midnight.timestamp()
        return self.day


_local_days = _LocalDays()
# Salts of the days the writer hashes for: (salt, monotonic time until which it may be used
# without asking the database again; None for today's). A past day's salt is held at most
# PAST_SALT_SECONDS, so once destroyed in the database it soon leaves every process's memory.
PAST_SALT_SECONDS = 60.0
_salts: dict[dt.date, tuple[bytes | None, float | None]] = {}


def visitor_salt(*, day: dt.date) -> bytes | None:
    """The salt of ``day``'s visitor hashes, created for today; None once it was destroyed."""
    cached = _salts.get(day)
    if cached is not None and (cached[1] is None or cached[1] > time.monotonic()):
        return cached[0]
    today = timezone.localdate()
    for known in list(_salts):
        if known < today:
            del _salts[known]
            _hashes.clear()
    if day >= today:
        row, _created = VisitorSalt.objects.get_or_create(
            day=day, defaults={"salt": secrets.token_bytes(32)}
        )
        _salts[day] = (bytes(row.salt), None)
    else:
        # A late event of a past day: its salt may already be gone, and is never re-created.
        salt = VisitorSalt.objects.filter(day=day).values_list("salt", flat=True).first()
        _salts[day] = (None if salt is None else bytes(salt), time.monotonic() + PAST_SALT_SECONDS)
    return _salts[day][0]


def _hash(salt: bytes, *parts: str) -> str:
    return hashlib.blake2b("\x00".join(parts).encode(), key=salt, digest_size=16).hexdigest()


# The hashes already computed with each day's salt: a visitor makes many requests. Cleared with
# the salt (and when too big), so no hash outlives its salt in memory.
_HASH_CACHE_SIZE = 100_000
_hashes: dict[tuple, str] = {}


def _cached_hash(day: dt.date, salt: bytes, *parts: str) -> str:
    key = (day, *parts)
    value = _hashes.get(key)
    if value is None:
        if len(_hashes) >= _HASH_CACHE_SIZE:
            _hashes.clear()
        value = _hashes[key] = _hash(salt, *parts)
    return value


def _own_hosts() -> frozenset[str]:
    hosts = {urlsplit(settings.SITE_URL).hostname or ""}
    hosts.update(host.lstrip(".") for host in settings.ALLOWED_HOSTS if host != "*")
    return frozenset(hosts)


# What the writer derives from a client's (IP, User-Agent) pair and from a request's
# (Accept-Language, Referer) pair, memoised: real traffic repeats a few thousand of each, and a
# dictionary lookup replaces the truncation, NUL check, ua-parser, address and URL parsing.
# Bounded (cleared when full), and forgotten with the address cache of ``parsing`` once the
# writer reaches a day ACCESS_LOG_IP_DAYS after the cache was started: raw addresses stay in
# memory no longer than the database keeps them untruncated. (Forgetting daily would cost the
# parsing of every returning client each day: 1.7 µs per event in the benchmark.)
_CLIENT_CACHE_SIZE = 50_000
_clients_since = [dt.date.min]
_clients: dict[tuple[str, str], tuple[str, str, str, str, bool, str, str]] = {}
_headers: dict[tuple[str, str, frozenset[str]], tuple[str, str, str]] = {}


def _forget_clients_before(day: dt.date) -> None:
    if (day - _clients_since[0]).days >= settings.ACCESS_LOG_IP_DAYS:
        _clients_since[0] = day
        _clients.clear()
        _headers.clear()
        parsing.network_and_country.cache_clear()


def _no_nul(value: str) -> str:
    # PostgreSQL refuses NUL in text; it means nothing in a log anyway.
    return value.replace("\x00", "") if "\x00" in value else value


def _client_facts(ip: str, user_agent: str) -> tuple[str, str, str, str, bool, str, str]:
    """(ip, user agent, browser, OS, is a bot, network, country), bounded and parsed."""
    key = (ip, user_agent)
    facts = _clients.get(key)
    if facts is None:
        if len(_clients) >= _CLIENT_CACHE_SIZE:
            _clients.clear()
        ip, user_agent = _no_nul(ip[:45]), _no_nul(user_agent[:512])
        browser, os_family, is_bot = parsing.user_agent_facts(user_agent)
        network, country = parsing.network_and_country(ip)
        facts = _clients[key] = (ip, user_agent, browser, os_family, is_bot, network, country)
    return facts


def _header_facts(language: str, referrer: str, own_hosts: frozenset[str]) -> tuple[str, str, str]:
    """(primary language, referrer without query, referrer host unless ours)."""
    key = (language, referrer, own_hosts)
    facts = _headers.get(key)
    if facts is None:
        if len(_headers) >= _CLIENT_CACHE_SIZE:
            _headers.clear()
        cleaned, host = parsing.clean_referrer(referrer, own_hosts)
        facts = _headers[key] = (parsing.primary_language(language), cleaned, host)
    return facts


class _SqliteTimes:
    """What Django's SQLite backend stores for an aware datetime (naive UTC, ``isoformat(" ")``:
    microseconds only when not zero), without building a datetime per event: the date part is
    formatted once per UTC day, the time of day by arithmetic."""

    def __init__(self) -> None:
        self.day = -1
        self.prefix = ""

    def __call__(self, timestamp: float) -> str:
        seconds = int(timestamp)
        micro = round((timestamp - seconds) * 1_000_000)
        if micro >= 1_000_000:
            seconds, micro = seconds + 1, micro - 1_000_000
        day, second = divmod(seconds, 86400)
        if day != self.day:
            moment = dt.datetime.fromtimestamp(day * 86400, dt.UTC)
            self.day, self.prefix = day, moment.strftime("%Y-%m-%d ")
        hour, second = divmod(second, 3600)
        minute, second = divmod(second, 60)
        if micro:
            return f"{self.prefix}{hour:02d}:{minute:02d}:{second:02d}.{micro:06d}"
        return f"{self.prefix}{hour:02d}:{minute:02d}:{second:02d}"


def access_event_rows(events: Iterable[Event]) -> Iterable[tuple]:
    """The database rows of ``events``: everything parsed, derived and hashed here.

    This is the writer's hot loop (the benchmark feeds it a million events): per-value work
    is memoised (client, headers, path facts, time up to the minute, visitor hashes) and the
    day's salt is looked up once per day of the batch.
    """
    own_hosts = _own_hosts()
    adapt_day = connection.ops.adapt_datefield_value
    if connection.vendor == "sqlite":
        adapt_time = _SqliteTimes()
    else:

        def adapt_time(timestamp: float) -> dt.datetime:
            return dt.datetime.fromtimestamp(timestamp, dt.UTC)

    local_day = _local_days
    client_facts = _client_facts
    header_facts = _header_facts
    hashes = _hashes
    last_day = salt = None
    for event in events:
        (
            timestamp,
            method,
            path,
            status,
            ip,
            user_agent,
            language,
            referrer,
            duration,
            clickstream,
            session_key,
            exit_url,
        ) = event
        day = local_day(timestamp)
        if day is not last_day:
            last_day, day_value, salt = day, adapt_day(day), False
            _forget_clients_before(day)
        ip, user_agent, browser, os_family, is_bot, network, country = client_facts(ip, user_agent)
        language, referrer, referrer_host = header_facts(language, referrer, own_hosts)
        if len(path) > 500 or "\x00" in path:
            path = _no_nul(path[:500])
        if len(method) > 8 or "\x00" in method:
            method = _no_nul(method[:8])
        visitor = visit = ""
        if clickstream:
            if salt is False:
                salt = visitor_salt(day=day)
            if salt is not None:
                visitor = hashes.get((day, ip, user_agent)) or _cached_hash(
                    day, salt, ip, user_agent
                )
                if session_key:
                    visit = _cached_hash(day, salt, "visit", session_key)
                exit_url = _no_nul(exit_url[:500])
            else:
                exit_url = ""
        else:
            exit_url = ""
        yield (
            adapt_time(timestamp),
            day_value,
            method,
            path,
            status if 0 <= status <= 32767 else min(max(status, 0), 32767),
            duration if 0 <= duration < 2**31 else min(max(duration, 0), 2**31 - 1),
            ip,
            False,
            user_agent,
            referrer,
            referrer_host,
            browser,
            os_family,
            language,
            network,
            country,
            is_bot,
            method == "GET" and 200 <= status < 300 and "/go/" not in path[:8],
            visitor,
            visit,
            exit_url,
        )


def access_events_ingest(*, events: Sequence[Event], batch_size: int = 5000) -> int:
    """Parse and store ``events`` with bulk inserts; returns how many rows were written."""
    statement = _insert_statement()
    rows = access_event_rows(events)
    written = 0
    with transaction.atomic(), connection.cursor() as cursor:
        while batch := list(itertools.islice(rows, batch_size)):
            cursor.executemany(statement, batch)
            written += len(batch)
    return written


# -- Aggregation ------------------------------------------------------------------------------


class _Columns:
    def __getattr__(self, name: str) -> str:
        return connection.ops.quote_name(AccessEvent._meta.get_field(name).column)


def _table_and_columns() -> tuple[str, _Columns]:
    """The quoted table and column names of the raw log, for the hand-written aggregation
    queries (built from the model's metadata: no input reaches them; values are parameters)."""
    return connection.ops.quote_name(AccessEvent._meta.db_table), _Columns()


def _funnel_prefixes() -> list[tuple[str, tuple[str, ...]]]:
    steps = []
    for name, url_name in FUNNEL_STEPS:
        prefixes = []
        for code, _label in settings.LANGUAGES:
            with translation.override(code), contextlib.suppress(NoReverseMatch):
                prefixes.append(reverse(url_name))
        steps.append((name, tuple(prefixes)))
    return steps


def _clickstream_counts(day: dt.date) -> dict[str, Counter]:
    """Visitors, visits, entry/exit pages, exit links, funnel and 3-page paths of one day,
    from the consented clickstream only (rows with a visitor hash)."""
    counts: dict[str, Counter] = {
        dimension: Counter() for dimension in (D.ENTRY, D.EXIT, D.EXIT_LINK, D.FUNNEL, D.PATH)
    }
    funnel = _funnel_prefixes()
    visitors: set[str] = set()
    visits = 0
    # Raw cursor: the rows are only read once, in order, and a datetime per row through the
    # ORM's converters would cost more than the pass itself (SQLite returns text: parsed by
    # ``fromisoformat``, in C).
    table, c = _table_and_columns()
    statement = (
        f"SELECT {c.visitor}, {c.visit}, {c.time}, {c.path}, {c.exit_url} FROM {table} "  # noqa: S608
        f"WHERE {c.day} = %s AND {c.is_bot} = %s AND {c.visitor} <> '' "
        f"AND ({c.page_view} = %s OR {c.exit_url} <> '') "
        f"ORDER BY {c.visitor}, {c.visit}, {c.time}"
    )
    day_value = connection.ops.adapt_datefield_value(day)

    def close(pages: list[str], exit_link: str) -> None:
        nonlocal visits
        if not pages and not exit_link:
            return
        visits += 1
        if pages:
            counts[D.ENTRY][parsing.normalise_path(pages[0])] += 1
            counts[D.EXIT][parsing.normalise_path(pages[-1])] += 1
        if exit_link:
            counts[D.EXIT_LINK][urlsplit(exit_link).hostname or parsing.UNKNOWN] += 1
        stage = 0
        for page in pages:
            if stage < len(funnel) and funnel[stage][1] and page.startswith(funnel[stage][1]):
                stage += 1
        for name, _prefixes in funnel[:stage]:
            counts[D.FUNNEL][name] += 1
        steps = [parsing.normalise_path(page) for page in pages]
        steps = [page for index, page in enumerate(steps) if index == 0 or page != steps[index - 1]]
        for index in range(len(steps) - 2):
            counts[D.PATH][" → ".join(steps[index : index + 3])] += 1

    key = None
    last_time = None
    pages: list[str] = []
    exit_link = ""
    parse_time = dt.datetime.fromisoformat
    with connection.cursor() as cursor:
        cursor.execute(statement, [day_value, False, True])
        for chunk in iter(lambda: cursor.fetchmany(5000), []):
            for visitor, visit, moment, path, exit_url in chunk:
                if isinstance(moment, str):
                    moment = parse_time(moment)
                current = (visitor, visit)
                if current != key or last_time is None or moment - last_time > VISIT_GAP:
                    close(pages, exit_link)
                    key, pages, exit_link = current, [], ""
                visitors.add(visitor)
                last_time = moment
                if exit_url:
                    exit_link = exit_url
                else:
                    pages.append(path)
    close(pages, exit_link)
    for name, _prefixes in funnel:
        counts[D.FUNNEL].setdefault(name, 0)
    counts["totals"] = Counter(visitors=len(visitors), visits=visits)
    return counts


def aggregates_compute(*, day: dt.date) -> int:
    """(Re)compute the daily aggregates of ``day`` from its raw rows; returns rows written.

    Set-based: two GROUP BY scans of the day's rows (totals with the browser... country counts;
    pages with referrers) and one ordered pass over the consented clickstream. A day without
    raw rows (pruned) keeps the aggregates it has.
    """
    table, c = _table_and_columns()
    day_value = connection.ops.adapt_datefield_value(day)
    counts: dict[str, Counter] = {
        dimension: Counter()
        for dimension in (D.PAGE, D.REFERRER, D.BROWSER, D.OS, D.LANGUAGE, D.NETWORK, D.COUNTRY)
    }
    totals = Counter(requests=0, bot_requests=0, page_views=0)
    facts = (D.BROWSER, D.OS, D.LANGUAGE, D.NETWORK, D.COUNTRY)
    with connection.cursor() as cursor:
        # One scan of the day for the totals and the browser... country counts (few groups).
        cursor.execute(
            f"SELECT {c.is_bot}, {c.page_view}, {c.browser}, {c.os}, {c.language}, "  # noqa: S608
            f"{c.network}, {c.country}, COUNT(*) FROM {table} WHERE {c.day} = %s "
            f"GROUP BY {c.is_bot}, {c.page_view}, {c.browser}, {c.os}, {c.language}, "
            f"{c.network}, {c.country}",
            [day_value],
        )
        for is_bot, page_view, *values, n in cursor.fetchall():
            totals["requests"] += n
            if is_bot:
                totals["bot_requests"] += n
            elif page_view:
                totals["page_views"] += n
                for dimension, value in zip(facts, values, strict=True):
                    counts[dimension][value or parsing.UNKNOWN] += n
        if not totals["requests"]:
            return 0
        # One scan of the day's human page views for the pages and the referrers.
        cursor.execute(
            f"SELECT {c.path}, {c.referrer_host}, COUNT(*) FROM {table} "  # noqa: S608
            f"WHERE {c.day} = %s AND {c.page_view} = %s AND {c.is_bot} = %s "
            f"GROUP BY {c.path}, {c.referrer_host}",
            [day_value, True, False],
        )
        for path, referrer_host, n in cursor.fetchall():
            counts[D.PAGE][parsing.normalise_path(path)] += n
            if referrer_host:
                counts[D.REFERRER][referrer_host] += n
    clickstream = _clickstream_counts(day)
    counts.update({name: value for name, value in clickstream.items() if name != "totals"})
    total = totals
    total.update(clickstream["totals"])
    total["exits"] = sum(clickstream[D.EXIT_LINK].values())
    counts[D.TOTAL] = total

    limits = {D.PATH: TOP_PATHS, D.REFERRER: TOP_REFERRERS}
    rows = []
    for dimension, counter in counts.items():
        items = counter.most_common(limits.get(dimension))
        rows.extend((day_value, str(dimension), str(key)[:KEY_LENGTH], n) for key, n in items)
    # A few hundred rows per day: one prepared statement rather than model instances.
    quote = connection.ops.quote_name
    meta = DailyAggregate._meta
    columns = ", ".join(quote(meta.get_field(name).column) for name in _AGGREGATE_COLUMNS)
    insert = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES (%s, %s, %s, %s)"  # noqa: S608
    with transaction.atomic():
        DailyAggregate.objects.filter(day=day).delete()
        with connection.cursor() as cursor:
            cursor.executemany(insert, rows)
    return len(rows)


_AGGREGATE_COLUMNS = ("day", "dimension", "key", "count")


def aggregates_refresh(*, since: dt.date | None = None, until: dt.date | None = None) -> int:
    """Aggregate every day with raw rows between ``since`` and ``until`` (default: yesterday
    and today, which is what the periodic task keeps up to date); returns days computed."""
    today = timezone.localdate()
    since = since or today - dt.timedelta(days=1)
    until = until or today
    days = (
        AccessEvent.objects.filter(day__gte=since, day__lte=until)
        .values_list("day", flat=True)
        .distinct()
        .order_by("day")
    )
    computed = 0
    for day in list(days):
        aggregates_compute(day=day)
        computed += 1
    return computed
