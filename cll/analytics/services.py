"""Writes of the analytics app: ingesting the access log, daily aggregates, salts and signed
outbound links (retention: cll/analytics/retention.py).

Everything here runs off the request path: in the task worker (the access-log ingester and the
periodic tasks) or in management commands.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import secrets
import time
import zoneinfo
from collections import Counter
from collections.abc import Sequence
from itertools import compress
from operator import and_, or_
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.db import connection, transaction
from django.db.models import F
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation

from cll.analytics import logstore, parsing
from cll.analytics.events import Batch, Event, Table
from cll.analytics.models import (
    KEY_LENGTH,
    PATH_LENGTH,
    REFERRER_LENGTH,
    USER_AGENT_LENGTH,
    AccessLogBlock,
    DailyAggregate,
    VisitorSalt,
)
from cll.core import urlscrub

D = DailyAggregate.Dimension
logger = logging.getLogger(__name__)

# A visit ends after this long without a page view (the usual web-analytics convention).
VISIT_GAP = dt.timedelta(minutes=30)
# The page of an exit in the clickstream (an exit is not a page view): comparable with pages.
NO_PAGE = ("", 0)
_SUCCESS = range(200, 300)
# How many rows the long-tailed dimensions keep per day.
TOP_PATHS = 200
TOP_REFERRERS = 500
# The funnel, by URL name: a step counts when a visit reaches a page under that URL (in any
# language) after the previous step: the cart page (/shop/cart/), then an order's page
# (/shop/orders/..., where the buyer follows their order once placed).
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
#
# The ingester's hot path (the benchmark feeds it a million events), a column at a time: each
# request becomes integers pointing into its block's tables (cll/analytics/logstore.py), mapped
# by C-level built-ins; per-value work (ua-parser, address and URL parsing, hashing) is done once
# per distinct value.


class _LocalDays:
    """The local calendar day of a timestamp, computed once per day rather than per event;
    ``start`` and ``end`` are that day's bounds in seconds since the epoch."""

    def __init__(self) -> None:
        self.zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        self.start = self.end = 0.0
        self.day = dt.date.min

    def __call__(self, timestamp: float) -> dt.date:
        if not self.start <= timestamp < self.end:
            local = dt.datetime.fromtimestamp(timestamp, self.zone)
            self.day = local.date()
            self.start, self.end = day_bounds(self.day)
        return self.day


_local_days = _LocalDays()


def day_bounds(day: dt.date) -> tuple[float, float]:
    """The first second of local ``day`` and of the next day, in seconds since the epoch (a day
    with a DST change has 23 or 25 hours)."""
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    start = dt.datetime.combine(day, dt.time(), zone).timestamp()
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone).timestamp()
    return start, end


def day_range_us(day: dt.date) -> tuple[int, int]:
    """``day_bounds`` in the log's unit (microseconds), for ``time_us`` ranges."""
    start, end = day_bounds(day)
    return round(start * 1_000_000), round(end * 1_000_000)


# Salts of the days the ingester hashes for: (salt, monotonic time until which it may be used
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
    if any(known < today for known in _salts):
        forget_visitor_hashes()
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


# Keyed hashing state per salt (keying costs a compression; copying the keyed state does not).
_keyed: dict[bytes, object] = {}


def _hash(salt: bytes, *parts: str) -> int:
    """A keyed 64-bit hash (signed); never 0, which the log uses for "none"."""
    keyed = _keyed.get(salt)
    if keyed is None:
        if len(_keyed) > 8:
            _keyed.clear()
        keyed = _keyed[salt] = hashlib.blake2b(key=salt, digest_size=8)
    state = keyed.copy()
    state.update("\x00".join(parts).encode())
    return int.from_bytes(state.digest(), "big", signed=True) or 1


# The hashes already computed with each day's salt: a visitor makes many requests. Cleared with
# the salt, with the ingester's daily state, and when too big, so no hash outlives its salt.
_HASH_CACHE_SIZE = 100_000
_hashes: dict[tuple, int] = {}


def _cached_hash(day: dt.date, salt: bytes, *parts: str) -> int:
    key = (day, *parts)
    value = _hashes.get(key)
    if value is None:
        if len(_hashes) >= _HASH_CACHE_SIZE:
            _hashes.clear()
        value = _hashes[key] = _hash(salt, *parts)
    return value


def forget_visitor_hashes() -> None:
    """Drop the salts of past days and every remembered hash from this process's memory."""
    today = timezone.localdate()
    for day in list(_salts):
        if day < today:
            del _salts[day]
    _hashes.clear()
    _keyed.clear()


def _no_nul(value: str) -> str:
    # PostgreSQL refuses NUL in text; it means nothing in a log anyway.
    return value.replace("\x00", "") if "\x00" in value else value


# Raw addresses stay in memory (the address parsing's memo) no longer than the database keeps
# them untruncated: forgotten once the ingester reaches a day ACCESS_LOG_IP_DAYS after the memo
# was started. (Forgetting daily would cost the parsing of every returning client each day.)
_clients_since = [dt.date.min]


def _forget_clients_before(day: dt.date) -> None:
    if (day - _clients_since[0]).days >= settings.ACCESS_LOG_IP_DAYS:
        _clients_since[0] = day
        parsing.network_and_country.cache_clear()


def _agent_entry(user_agent: str) -> list:
    user_agent = _no_nul(user_agent[:USER_AGENT_LENGTH])
    browser, os_family, is_bot = parsing.user_agent_facts(user_agent)
    return [user_agent, browser, os_family, 1 if is_bot else 0]


def _referrer_entry(referrer: str, own_hosts: frozenset[str]) -> list:
    cleaned, host = parsing.clean_referrer(referrer, own_hosts)
    return [_no_nul(cleaned[:REFERRER_LENGTH]), host]


def _truncated(length: int):
    def clean(value: str) -> str:
        return _no_nul(value[:length])

    return clean


_clean_method, _clean_path, _clean_ip = _truncated(8), _truncated(PATH_LENGTH), _truncated(45)


def _block(day: dt.date, batch: Batch, own_hosts: frozenset[str]) -> AccessLogBlock:
    """One block of ``batch`` (events of local ``day`` only): the tables, the columns, the
    clickstream (format: cll/analytics/logstore.py).

    The batch's text columns are already tables: Python runs once per distinct value (cleaning,
    ua-parser, address and URL parsing) and once per consenting page view (hashing), never once
    per field of every request; the index columns go to the block as they are.
    """
    _forget_clients_before(day)
    times = batch.times
    base = times[0]
    ips = batch.ips
    ip_entries = list(map(_clean_ip, ips.values))
    # Network and country come from the address: one table entry per distinct pair.
    networks = Table.of(list(map(parsing.network_and_country, ip_entries)))
    agent_entries = list(map(_agent_entry, batch.user_agents.values))
    data = logstore.pack(
        {
            "rows": batch.size,
            "base": base,
            "methods": list(map(_clean_method, batch.methods.values)),
            "paths": list(map(_clean_path, batch.paths.values)),
            "languages": list(map(parsing.primary_language, batch.languages.values)),
            "agents": agent_entries,
            "referrers": [_referrer_entry(value, own_hosts) for value in batch.referrers.values],
            "networks": list(map(list, networks.values)),
        },
        logstore.DATA_COLUMNS,
        (
            map(base.__rsub__, times),
            batch.methods.index,
            batch.paths.index,
            batch.statuses,
            batch.durations,
            ips.index,
            batch.user_agents.index,
            batch.languages.index,
            batch.referrers.index,
            map(networks.index.__getitem__, ips.index),
        ),
    )
    clickstream = None
    if any(batch.clickstream):
        clickstream = _clickstream(day, batch, agent_entries)
    return AccessLogBlock(
        day=day,
        first_us=min(times),
        last_us=max(times),
        events=batch.size,
        ips=json.dumps(ip_entries, separators=(",", ":")),
        data=data,
        clickstream=clickstream,
    )


def _clickstream(day: dt.date, batch: Batch, agent_entries: list[list]) -> bytes | None:
    """The clickstream blob of a block: page views and exits of consenting requests, never of
    a bot, with the visitor and visit hashes of the day's salt (none once it is destroyed).

    Column at a time: the rows are selected by C-level lookups, and Python hashes once per
    distinct client (address and User-Agent) and per distinct session of the block.
    """
    paths, path_index = batch.paths
    ips, ip_index = batch.ips
    user_agents, agent_index = batch.user_agents
    session_keys, session_index = batch.session_keys
    exit_urls, exit_index = batch.exit_urls
    # The consenting rows, then among them, in C: not a bot, and a page view or an exit.
    consenting = list(compress(range(batch.size), batch.clickstream))
    if not consenting:
        return None
    human = [not entry[3] for entry in agent_entries]
    is_get = [method == "GET" for method in batch.methods.values]
    is_page = [logstore.is_page_view("GET", 200, path) for path in paths]
    is_exit = [bool(url) for url in exit_urls]
    method_index, statuses = batch.methods.index, batch.statuses
    kept = map(
        and_,
        map(human.__getitem__, map(agent_index.__getitem__, consenting)),
        map(
            or_,
            map(is_exit.__getitem__, map(exit_index.__getitem__, consenting)),
            map(
                and_,
                map(
                    and_,
                    map(is_get.__getitem__, map(method_index.__getitem__, consenting)),
                    map(is_page.__getitem__, map(path_index.__getitem__, consenting)),
                ),
                map(_SUCCESS.__contains__, map(statuses.__getitem__, consenting)),
            ),
        ),
    )
    rows = list(compress(consenting, kept))
    if not rows:
        return None
    salt = visitor_salt(day=day)
    if salt is None:
        return None  # the day's salt is gone: no hash can be made any more
    hashes = _hashes
    clients = list(
        zip(map(ip_index.__getitem__, rows), map(agent_index.__getitem__, rows), strict=True)
    )
    visitor_of = {}
    for client in dict.fromkeys(clients):
        ip, user_agent = ips[client[0]], user_agents[client[1]]
        visitor_of[client] = hashes.get((day, ip, user_agent)) or _cached_hash(
            day, salt, ip, user_agent
        )
    sessions = list(map(session_index.__getitem__, rows))
    visit_of = {}
    for session in dict.fromkeys(sessions):
        key = session_keys[session]
        visit_of[session] = (
            (hashes.get((day, "visit", key)) or _cached_hash(day, salt, "visit", key)) if key else 0
        )
    links = list(map(exit_index.__getitem__, rows))
    # The block's exit links: the distinct ones of these rows (-1: not an exit).
    link_of = {link: -1 for link in dict.fromkeys(links) if not exit_urls[link]}
    exits = [link for link in dict.fromkeys(links) if exit_urls[link]]
    link_of.update((link, position) for position, link in enumerate(exits))
    return logstore.pack(
        {"rows": len(rows), "exits": [_clean_path(exit_urls[link]) for link in exits]},
        logstore.CLICK_COLUMNS,
        (
            rows,
            map(visitor_of.__getitem__, clients),
            map(visit_of.__getitem__, sessions),
            map(link_of.__getitem__, links),
        ),
    )


def _by_day(batch: Batch) -> dict[dt.date, Batch]:
    """``batch`` split by local day (nearly always one day: checked from the extremes; else
    one C-level pass per day over the times)."""
    times = batch.times
    day, last = _local_days(min(times) / 1e6), _local_days(max(times) / 1e6)
    if day == last:
        return {day: batch}
    parts = {}
    rows = range(batch.size)
    while day <= last:
        start, end = day_range_us(day)
        inside = map(and_, map(start.__le__, times), map(end.__gt__, times))
        if selected := list(compress(rows, inside)):
            parts[day] = batch.take(selected)
        day += dt.timedelta(days=1)
    return parts


def access_batch_ingest(*, batch: Batch) -> int:
    """Store ``batch`` as blocks of the access log; returns how many requests were written."""
    if not batch.size:
        return 0
    if batch.size > logstore.BLOCK_EVENTS:
        # Its tables could be too big for the blocks' 16-bit index columns.
        raise ValueError(f"a batch holds at most {logstore.BLOCK_EVENTS} events")
    own_hosts = urlscrub.own_hosts()
    blocks = []
    for day, events in _by_day(batch).items():
        blocks.append(_block(day, events, own_hosts))
    with transaction.atomic():
        AccessLogBlock.objects.bulk_create(blocks)
    return sum(block.events for block in blocks)


def access_events_ingest(*, events: Sequence[Event]) -> int:
    """Store ``events`` as blocks of the access log; returns how many requests were written."""
    size = logstore.BLOCK_EVENTS
    with transaction.atomic():
        return sum(
            access_batch_ingest(batch=Batch.of(events[start : start + size]))
            for start in range(0, len(events), size)
        )


# -- Aggregation ------------------------------------------------------------------------------


def _funnel_prefixes() -> list[tuple[str, tuple[str, ...]]]:
    steps = []
    for name, url_name in FUNNEL_STEPS:
        prefixes = []
        for code, _label in settings.LANGUAGES:
            with translation.override(code), contextlib.suppress(NoReverseMatch):
                prefixes.append(reverse(url_name))
        steps.append((name, tuple(prefixes)))
    return steps


def _blocks_of(day: dt.date):
    """The decoded blocks of ``day``: ((header, columns), clickstream or None), in the order
    they were written."""
    blobs = (
        AccessLogBlock.objects.filter(day=day)
        .order_by("id")
        .values_list("id", "data", "clickstream")
        .iterator(chunk_size=50)
    )
    for pk, data, clickstream in blobs:
        try:
            decoded = logstore.unpack(data), logstore.unpack(clickstream)
        except logstore.DamagedBlock:
            # Not written by us (a damaged database): the day is counted without it.
            logger.exception("access log: block %s of %s is damaged and was skipped", pk, day)
            continue
        yield decoded


def _visits(moves: list[tuple], funnel, counts: dict[str, Counter]) -> Counter:
    """Visitors, visits, entry/exit pages, exit links, funnel and 3-page paths from the day's
    consented clickstream: (visitor, visit, time, page, exit link or "") per request, where a
    page is (normalised path, bit i set when the path is under funnel step i); a visit ends
    after VISIT_GAP without a request."""
    moves.sort()  # by visitor, visit, time (then page and link: all comparable)
    gap = VISIT_GAP // dt.timedelta(microseconds=1)
    entries, exits, exit_links = counts[D.ENTRY], counts[D.EXIT], counts[D.EXIT_LINK]
    funnel_counts, paths = counts[D.FUNNEL], counts[D.PATH]
    names = [name for name, _prefixes in funnel]
    visitors: set[int] = set()
    visits = 0

    def close(pages: list[tuple[str, int]], exit_link: str) -> None:
        nonlocal visits
        if not pages and not exit_link:
            return
        visits += 1
        if pages:
            entries[pages[0][0]] += 1
            exits[pages[-1][0]] += 1
        if exit_link:
            exit_links[urlsplit(exit_link).hostname or parsing.UNKNOWN] += 1
        stage = 0
        for _page, steps in pages:
            if steps >> stage & 1:
                stage += 1
        for name in names[:stage]:
            funnel_counts[name] += 1
        if len(pages) > 2:
            visited = [page for page, _steps in pages]
            visited = [
                page
                for index, page in enumerate(visited)
                if not index or page != visited[index - 1]
            ]
            for index in range(len(visited) - 2):
                paths[" → ".join(visited[index : index + 3])] += 1

    key = last_visit = None
    last_time = 0
    pages: list[tuple[str, int]] = []
    exit_link = ""
    for visitor, visit, moment, page, exit_url in moves:
        if visitor != key or visit != last_visit or moment - last_time > gap:
            close(pages, exit_link)
            key, last_visit, pages, exit_link = visitor, visit, [], ""
            visitors.add(visitor)
        last_time = moment
        if exit_url:
            exit_link = exit_url
        else:
            pages.append(page)
    close(pages, exit_link)
    return Counter(visitors=len(visitors), visits=visits)


def aggregates_compute(*, day: dt.date) -> int:
    """(Re)compute the daily aggregates of ``day`` from its blocks; returns rows written.

    Per block, in C: a page-view mask from lookups of each row's agent, method, status and
    path, then one ``Counter`` per dimension over the masked index column; Python runs once
    per distinct value. The consented clickstream is then sorted by visitor, visit and time
    and walked once. A day without blocks (pruned) keeps the aggregates it has.
    """
    # Every dimension but the totals, which are counted apart.
    counts: dict[str, Counter] = {dimension: Counter() for dimension in D if dimension != D.TOTAL}
    browsers, systems, languages_count = counts[D.BROWSER], counts[D.OS], counts[D.LANGUAGE]
    networks_count, countries, pages_count = counts[D.NETWORK], counts[D.COUNTRY], counts[D.PAGE]
    referrers_count = counts[D.REFERRER]
    requests = bot_requests = page_views = 0
    unknown = parsing.UNKNOWN
    normalise = parsing.normalise_path
    funnel = _funnel_prefixes()
    steps = [prefixes for _name, prefixes in funnel]
    moves: list[tuple] = []
    found = False
    for (header, columns), clickstream in _blocks_of(day):
        found = True
        agents, languages = header["agents"], header["languages"]
        paths, referrers, networks = header["paths"], header["referrers"], header["networks"]
        agent_column, path_column = columns["agent"], columns["path"]
        requests += len(agent_column)
        # Per row, in C: is it a bot, is it a page view (method, status and path of a page)?
        humans = [not entry[3] for entry in agents]
        bot_requests += len(agent_column) - sum(map(humans.__getitem__, agent_column))
        is_get = [method == "GET" for method in header["methods"]]
        is_page = [logstore.is_page_view("GET", 200, path) for path in paths]
        viewed = list(
            map(
                and_,
                map(
                    and_,
                    map(humans.__getitem__, agent_column),
                    map(is_get.__getitem__, columns["method"]),
                ),
                map(
                    and_,
                    map(_SUCCESS.__contains__, columns["status"]),
                    map(is_page.__getitem__, path_column),
                ),
            )
        )
        views = sum(viewed)
        if views:
            page_views += views
            # Each dimension counted over the page views, in C; Python once per value.
            for agent, n in Counter(compress(agent_column, viewed)).items():
                _value, browser, os_family, _bot = agents[agent]
                browsers[browser or unknown] += n
                systems[os_family or unknown] += n
            for language, n in Counter(compress(columns["language"], viewed)).items():
                languages_count[languages[language] or unknown] += n
            for network, n in Counter(compress(columns["network"], viewed)).items():
                network_name, country = networks[network]
                networks_count[network_name or unknown] += n
                countries[country or unknown] += n
            for path, n in Counter(compress(path_column, viewed)).items():
                pages_count[normalise(paths[path])] += n
            for referrer, n in Counter(compress(columns["referrer"], viewed)).items():
                if host := referrers[referrer][1]:
                    referrers_count[host] += n
        if clickstream:
            click_header, clicks = clickstream
            base, exits = header["base"], click_header["exits"]
            times = columns["time"]
            # A page as the clickstream needs it: its normalised path, and which funnel
            # steps (raw URL prefixes) it belongs to; an exit redirect's path is no page.
            pages = [
                (
                    normalise(path),
                    sum(
                        1 << step
                        for step, start in enumerate(steps)
                        if start and path.startswith(start)
                    ),
                )
                if logstore.is_page_view("GET", 200, path)
                else NO_PAGE
                for path in paths
            ]
            links = [*exits, ""]  # index -1: not an exit
            rows = clicks["row"]
            moves.extend(
                zip(
                    clicks["visitor"],
                    clicks["visit"],
                    map(base.__add__, map(times.__getitem__, rows)),
                    map(pages.__getitem__, map(path_column.__getitem__, rows)),
                    map(links.__getitem__, clicks["exit"]),
                    strict=True,
                )
            )
    if not found:
        return 0
    totals = Counter(requests=requests, bot_requests=bot_requests, page_views=page_views)
    totals.update(_visits(moves, funnel, counts))
    for name, _prefixes in funnel:
        counts[D.FUNNEL].setdefault(name, 0)
    totals["exits"] = sum(counts[D.EXIT_LINK].values())
    counts[D.TOTAL] = totals
    day_value = connection.ops.adapt_datefield_value(day)

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
    """Aggregate every day with blocks between ``since`` and ``until`` (default: yesterday and
    today, which is what the periodic task keeps up to date); returns days computed."""
    today = timezone.localdate()
    since = since or today - dt.timedelta(days=1)
    until = until or today
    computed = 0
    for day in days_with_log(since=since, until=until):
        aggregates_compute(day=day)
        computed += 1
    return computed


def days_with_log(*, since: dt.date | None = None, until: dt.date | None = None) -> list[dt.date]:
    """The local days that have access-log blocks (between ``since`` and ``until``), in order."""
    blocks = AccessLogBlock.objects.all()
    if since is not None:
        blocks = blocks.filter(day__gte=since)
    if until is not None:
        blocks = blocks.filter(day__lte=until)
    return list(blocks.values_list("day", flat=True).distinct().order_by("day"))


def log_rows(*, day: dt.date | None = None) -> list[logstore.LogRow]:
    """Every request of ``day`` (default: of every day) read back from the blocks, in the order
    they were written (operations and tests)."""
    blocks = AccessLogBlock.objects.order_by("id")
    if day is not None:
        blocks = blocks.filter(day=day)
    rows: list[logstore.LogRow] = []
    for block in blocks:
        rows.extend(logstore.rows(block))
    return rows


# -- Scrubbing a log written before secrets were kept out of it --------------------------------

_PATH_DIMENSIONS = (D.PAGE, D.ENTRY, D.EXIT, D.PATH)


def _aggregate_key_scrubbed(dimension: str, key: str) -> str:
    # A 3-page path is three normalised paths joined by arrows.
    parts = key.split(" → ") if dimension == D.PATH else [key]
    clean = (parsing.normalise_path(urlscrub.path_without_secrets(part)) for part in parts)
    return " → ".join(clean)[:KEY_LENGTH]


def access_log_scrub() -> tuple[int, int]:
    """Remove from the stored log what the log no longer keeps (cll/core/urlscrub.py): the
    secret segments of paths and of our own referrers, the paths of other sites' referrers.
    Returns (blocks rewritten, aggregates rewritten). Idempotent: a clean log is left as it is.

    Blocks are rewritten in place (their tables only: the columns point at the same entries)
    and their days aggregated again; aggregates of days whose blocks are gone are scrubbed key
    by key, counts of keys that become equal added up.
    """
    own_hosts = urlscrub.own_hosts()
    days: set[dt.date] = set()
    blocks = 0
    for block_id, day, data in AccessLogBlock.objects.values_list("id", "day", "data").iterator(
        chunk_size=50
    ):
        header, columns = logstore.unpack(data)
        paths = [_clean_path(urlscrub.path_without_secrets(path)) for path in header["paths"]]
        referrers = [
            _referrer_entry(page, own_hosts) if page else ["", ""]
            for page, _host in header["referrers"]
        ]
        if paths == header["paths"] and referrers == header["referrers"]:
            continue
        header.update(paths=paths, referrers=referrers)
        names = [name for name, _code in logstore.DATA_COLUMNS]
        packed = logstore.pack(header, logstore.DATA_COLUMNS, [columns[name] for name in names])
        AccessLogBlock.objects.filter(id=block_id).update(data=packed)
        days.add(day)
        blocks += 1
    for day in sorted(days):
        aggregates_compute(day=day)
    aggregates = 0
    rows = DailyAggregate.objects.filter(dimension__in=_PATH_DIMENSIONS).exclude(day__in=days)
    for row_id, day, dimension, key, count in rows.values_list(
        "id", "day", "dimension", "key", "count"
    ).iterator(chunk_size=1000):
        clean = _aggregate_key_scrubbed(dimension, key)
        if clean == key:
            continue
        with transaction.atomic():
            DailyAggregate.objects.filter(id=row_id).delete()
            merged, created = DailyAggregate.objects.get_or_create(
                day=day, dimension=dimension, key=clean, defaults={"count": count}
            )
            if not created:
                DailyAggregate.objects.filter(id=merged.id).update(count=F("count") + count)
        aggregates += 1
    return blocks, aggregates
