"""The access-log middleware and its writer: captured off the request path, parsed later."""

from types import SimpleNamespace
from unittest import mock

import pytest
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from cll.analytics import logbuffer, spool
from cll.analytics.events import Event
from cll.analytics.logbuffer import AccessLogBuffer
from cll.analytics.middleware import AccessLogMiddleware
from cll.analytics.models import AccessLogBlock
from cll.analytics.services import log_rows
from cll.consent.selectors import ConsentState

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"

pytestmark = pytest.mark.django_db


def get(path="/fr/", *, status=200, session_key=None, **meta):
    """One request through the access-log middleware around a plain view (the pages
    themselves are other apps' business)."""
    request = RequestFactory().get(path, **meta)
    request.session = SimpleNamespace(session_key=session_key)
    return AccessLogMiddleware(lambda request: HttpResponse("page", status=status))(request)


def consenting(**extra):
    return mock.patch(
        "cll.consent.hooks.consent_state",
        return_value=ConsentState(analytics=True, **extra),
    )


def test_it_only_buffers_during_the_request():
    get(HTTP_USER_AGENT=FIREFOX)
    assert not AccessLogBlock.objects.exists()
    assert len(logbuffer.buffer.events) == 1
    event = logbuffer.buffer.events[0]
    assert (event.method, event.path, event.status) == ("GET", "/fr/", 200)
    assert event.user_agent == FIREFOX


def test_it_writes_parsed_rows_when_flushed():
    get(
        "/fr/?utm=x",
        HTTP_USER_AGENT=FIREFOX,
        HTTP_ACCEPT_LANGUAGE="nl-BE,nl;q=0.9,fr;q=0.8",
        HTTP_REFERER="https://www.example.org/search?q=personal+words",
        REMOTE_ADDR="10.1.2.3",
    )
    assert logbuffer.flush() == 1
    [row] = log_rows()
    assert row.path == "/fr/"
    assert (row.browser, row.os, row.language) == ("Firefox", "Linux", "nl")
    assert row.network == "private network" and row.country == "unknown"
    # Another site's page is reduced to its origin: its path is none of our business.
    assert row.referrer == "https://www.example.org/"
    assert row.referrer_host == "www.example.org"
    assert row.ip == "10.1.2.3" and not AccessLogBlock.objects.get().ip_truncated
    assert row.page_view and not row.is_bot


def test_it_flags_bots():
    get(HTTP_USER_AGENT=GOOGLEBOT)
    get(HTTP_USER_AGENT="python-requests/2.32")
    get(HTTP_USER_AGENT="")
    logbuffer.flush()
    assert [row.is_bot for row in log_rows()] == [True, True, True]


def test_it_skips_static_files_and_health(client):
    client.get("/static/css/site.css")
    client.get("/health")
    assert len(logbuffer.buffer.events) == 0


def test_it_records_no_clickstream_without_consent():
    get(HTTP_USER_AGENT=FIREFOX, session_key="abc")
    logbuffer.flush()
    [row] = log_rows()
    assert (row.visitor, row.visit, row.exit_url) == (None, None, "")


def test_it_records_the_clickstream_with_consent():
    with consenting():
        get("/fr/", HTTP_USER_AGENT=FIREFOX, session_key="session-1")
        get("/en/", HTTP_USER_AGENT=FIREFOX, session_key="session-1")
        get("/en/", HTTP_USER_AGENT=FIREFOX)
    logbuffer.flush()
    rows = [(row.visitor, row.visit) for row in log_rows()]
    # One visitor, as a 64-bit keyed hash (never the address or the User-Agent).
    assert len({visitor for visitor, _visit in rows}) == 1
    assert isinstance(rows[0][0], int) and rows[0][0] != 0
    # The visit is session-scoped and hashed: the same for the session's two requests, none
    # for the request without a session.
    assert isinstance(rows[0][1], int) and rows[0][1] == rows[1][1]
    assert rows[2][1] is None
    # Nothing of the session key, address or User-Agent is stored in the clickstream.
    clickstream = bytes(AccessLogBlock.objects.get().clickstream)
    import zlib

    stored = zlib.decompress(clickstream)
    assert b"session-1" not in stored and b"127.0.0.1" not in stored and b"Firefox" not in stored


@pytest.mark.parametrize("header", [{"HTTP_DNT": "1"}, {"HTTP_SEC_GPC": "1"}])
def test_it_records_no_clickstream_under_dnt_or_gpc_whatever_was_chosen(header):
    with consenting(signal="dnt" if "HTTP_DNT" in header else "gpc"):
        get(HTTP_USER_AGENT=FIREFOX, session_key="s", **header)
    # And through the real consent selector, with no patch at all.
    get(HTTP_USER_AGENT=FIREFOX, session_key="s", **header)
    logbuffer.flush()
    rows = log_rows()
    assert len(rows) == 2
    assert all(row.visitor is None for row in rows)
    assert AccessLogBlock.objects.get().clickstream is None


def test_it_drops_and_counts_events_when_the_buffer_is_full():
    small = AccessLogBuffer(capacity=2, flush_events=10, flush_seconds=60, writer=False)
    event = Event(0.0, "GET", "/", 200, "", "", "", "", 0)
    for _ in range(5):
        small.add(event)
    assert len(small.events) == 2
    assert small.dropped == 3


@override_settings(ACCESS_LOG_ENABLED=False)
def test_it_can_be_switched_off():
    with pytest.raises(MiddlewareNotUsed):
        AccessLogMiddleware(HttpResponse)


def test_it_spools_in_the_background_thread(settings, tmp_path):
    settings.ACCESS_LOG_SPOOL_DIR = tmp_path
    writer = AccessLogBuffer(capacity=100, flush_events=2, flush_seconds=30, writer=True)
    event = Event(1764000000.0, "GET", "/fr/", 200, "192.0.2.1", FIREFOX, "fr", "", 3)
    writer.add(event)
    writer.add(event)  # reaches flush_events: the writer wakes up at once
    import time

    deadline = time.monotonic() + 10
    while writer.written < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert writer.written == 2
    # A spool file, not the database: the task worker ingests it.
    assert len(list(tmp_path.glob("*.batch"))) == 1
    assert not AccessLogBlock.objects.exists()
    assert spool.ingest() == 2


def test_it_spools_what_is_left_when_the_process_exits(monkeypatch, settings, tmp_path):
    settings.ACCESS_LOG_SPOOL_DIR = tmp_path
    monkeypatch.setattr(logbuffer.buffer, "writer_enabled", True)
    logbuffer.buffer.events.append(Event(1764000000.0, "GET", "/fr/", 200, "", FIREFOX, "", "", 1))
    logbuffer._flush_at_exit()
    assert not logbuffer.buffer.events
    assert len(list(tmp_path.glob("*.batch"))) == 1
    assert spool.ingest() == 1


# -- Client address behind trusted reverse proxies (CLL_TRUSTED_PROXIES) ---------------------


def logged_ip(**meta):
    get(**meta)
    return logbuffer.buffer.events[-1].ip


def test_it_logs_the_peer_address_when_no_proxy_is_trusted():
    assert logged_ip(REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="203.0.113.9") == (
        "198.51.100.7"
    )


@override_settings(TRUSTED_PROXIES=("10.0.0.0/8", "192.0.2.1"))
def test_it_ignores_a_spoofed_forwarded_for_from_an_untrusted_peer():
    assert logged_ip(REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="203.0.113.9") == (
        "198.51.100.7"
    )


@override_settings(TRUSTED_PROXIES=("10.0.0.0/8", "192.0.2.1"))
def test_it_takes_the_right_most_untrusted_forwarded_address_from_a_trusted_proxy():
    # The client wrote "1.2.3.4" itself (spoofed); the proxies appended the real hops.
    header = "1.2.3.4, 203.0.113.9, 10.1.2.3"
    assert logged_ip(REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR=header) == "203.0.113.9"
    assert logged_ip(REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR="203.0.113.10") == (
        "203.0.113.10"
    )


@override_settings(TRUSTED_PROXIES=("10.0.0.0/8",))
def test_it_keeps_the_proxy_address_when_the_forwarded_chain_is_unusable():
    assert logged_ip(REMOTE_ADDR="10.0.0.5") == "10.0.0.5"
    assert logged_ip(REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="10.0.0.6, 10.0.0.7") == (
        "10.0.0.5"
    )
    assert logged_ip(REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="not-an-ip") == "10.0.0.5"


@pytest.mark.parametrize("timestamp", [1_790_000_000.0, 1_790_000_059.999_999_7, 1_790_086_399.25])
def test_it_stores_the_event_time_to_the_microsecond(timestamp):
    import datetime as dt

    from cll.analytics.services import access_events_ingest

    event = Event(timestamp, "GET", "/fr/", 200, "10.0.0.1", FIREFOX, "fr", "", 3)
    access_events_ingest(events=[event])
    [row] = log_rows()
    assert row.time == dt.datetime.fromtimestamp(timestamp, dt.UTC)


@override_settings(ACCESS_LOG_IP_DAYS=7)
def test_it_forgets_the_raw_addresses_it_memoised_once_they_would_be_truncated():
    from cll.analytics import parsing, services

    services._clients_since[0] = services.dt.date.min
    day_one = 1_790_000_000.0

    def ingest(timestamp, ip):
        services.access_events_ingest(
            events=[Event(timestamp, "GET", "/fr/", 200, ip, FIREFOX, "fr", "", 3)]
        )

    def remembered():
        return parsing.network_and_country.cache_info().currsize

    ingest(day_one, "203.0.113.5")
    assert remembered() == 1
    ingest(day_one + 6 * 86400, "198.51.100.9")
    assert remembered() == 2
    # Seven days after the memory started: what it holds is forgotten.
    ingest(day_one + 7 * 86400, "198.51.100.10")
    assert remembered() == 1
    assert "203.0.113.5" in {row.ip for row in log_rows()}
