"""Daily aggregates, salts and retention of the access log."""

import datetime as dt
import io
import zoneinfo

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from cll.analytics import retention, services
from cll.analytics.events import Event
from cll.analytics.models import DailyAggregate, VisitorSalt
from cll.privacy.retention import PRUNERS

pytestmark = pytest.mark.django_db

BRUSSELS = zoneinfo.ZoneInfo("Europe/Brussels")
NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=BRUSSELS)
DAY = NOW.date()
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def event(
    path,
    *,
    minute=0,
    ip="198.51.100.7",
    ua=FIREFOX,
    consent=False,
    session=None,
    status=200,
    referrer="",
    exit_url="",
    when=NOW,
):
    moment = when + dt.timedelta(minutes=minute)
    return Event(
        moment.timestamp(),
        "GET",
        path,
        status,
        ip,
        ua,
        "fr-BE",
        referrer,
        5,
        consent,
        session,
        exit_url,
    )


def counts(dimension, day=DAY):
    return dict(
        DailyAggregate.objects.filter(day=day, dimension=dimension).values_list("key", "count")
    )


@time_machine.travel(NOW, tick=False)
def test_it_rolls_a_day_up():
    services.access_events_ingest(
        events=[
            # A consenting visitor: home → catalogue → a session → out to a partner.
            event("/fr/", consent=True, session="s1", referrer="https://www.google.com/?q=x"),
            event("/fr/courses/", minute=1, consent=True, session="s1"),
            event("/fr/courses/english-a2/", minute=2, consent=True, session="s1"),
            event(
                "/fr/go/token/",
                minute=3,
                consent=True,
                session="s1",
                exit_url="https://partner.example/page",
            ),
            # An anonymous visitor (no consent): counted in page views only.
            event("/en/", ip="203.0.113.9", ua=CHROME),
            event(
                "/en/privacy-requests/3f2b8c1e-9a4d-4c55-8e0f-1a2b3c4d5e6f/",
                ip="203.0.113.9",
                ua=CHROME,
            ),
            # A bot and a 404.
            event("/fr/", ua=GOOGLEBOT),
            event("/wp-login.php", status=404),
        ]
    )
    assert services.aggregates_compute(day=DAY) > 0

    total = counts("total")
    assert total["requests"] == 8
    assert total["bot_requests"] == 1
    assert total["page_views"] == 5
    assert (total["visitors"], total["visits"], total["exits"]) == (1, 1, 1)
    assert counts("page")["/fr/"] == 1
    assert counts("page")["/en/privacy-requests/<id>/"] == 1
    assert counts("browser") == {"Firefox": 3, "Chrome": 2}
    assert counts("os") == {"Linux": 3, "Windows": 2}
    assert counts("language") == {"fr": 5}
    assert counts("referrer") == {"www.google.com": 1}
    assert counts("network") == {"unknown": 5} and counts("country") == {"unknown": 5}
    assert counts("entry") == {"/fr/": 1}
    assert counts("exit") == {"/fr/courses/english-a2/": 1}
    assert counts("exit_link") == {"partner.example": 1}
    # The shop does not exist yet: cart and order count 0.
    assert counts("funnel") == {"catalogue": 1, "cart": 0, "order": 0}
    assert counts("path") == {
        "/fr/ → /fr/courses/ → /fr/courses/english-a2/": 1,
    }


@time_machine.travel(NOW, tick=False)
def test_it_splits_visits_after_half_an_hour_and_recomputes_incrementally():
    services.access_events_ingest(
        events=[event("/fr/", consent=True), event("/fr/courses/", minute=45, consent=True)]
    )
    services.aggregates_compute(day=DAY)
    assert counts("total")["visits"] == 2
    services.access_events_ingest(events=[event("/en/", minute=50, consent=True)])
    assert services.aggregates_refresh() == 1
    assert counts("total")["page_views"] == 3
    assert counts("total")["visits"] == 2


def test_it_hashes_visitors_with_a_salt_that_changes_every_day():
    with time_machine.travel(NOW, tick=False):
        services.access_events_ingest(events=[event("/fr/", consent=True)])
    with time_machine.travel(NOW + dt.timedelta(days=1), tick=False):
        services.access_events_ingest(
            events=[event("/fr/", consent=True, when=NOW + dt.timedelta(days=1))]
        )
        assert retention.visitor_salts_destroy() == 1
        assert list(VisitorSalt.objects.values_list("day", flat=True)) == [
            DAY + dt.timedelta(days=1)
        ]
    first, second = (row.visitor for row in services.log_rows())
    assert first and second and first != second


def test_it_never_recreates_a_destroyed_salt():
    with time_machine.travel(NOW + dt.timedelta(days=1), tick=False):
        services.access_events_ingest(events=[event("/fr/", consent=True)])  # yesterday's
    [row] = services.log_rows()
    assert row.visitor is None
    assert not VisitorSalt.objects.filter(day=DAY).exists()


def test_it_truncates_ips_after_the_set_days_and_deletes_rows_after_retention(settings):
    settings.ACCESS_LOG_IP_DAYS = 7
    settings.ACCESS_LOG_RETENTION_DAYS = 90
    old, recent, fresh = (NOW - dt.timedelta(days=days) for days in (91, 8, 1))
    with time_machine.travel(NOW, tick=False):
        services.access_events_ingest(
            events=[
                event("/fr/", when=old, ip="203.0.113.77"),
                event("/fr/", when=recent, ip="2001:db8:abcd:12::1"),
                event("/fr/", when=fresh, ip="198.51.100.7"),
            ]
        )
        assert PRUNERS["access-log-ip"] is retention.access_log_ips_truncate
        assert retention.access_log_ips_truncate(dry_run=True) == 2
        assert retention.access_log_ips_truncate() == 2
        assert retention.access_log_prune() == 1
    ips = {row.ip for row in services.log_rows()}
    assert ips == {"2001:db8:abcd::", "198.51.100.7"}
    # The deleted day was aggregated first, and its aggregates are kept.
    assert counts("total", day=old.date())["page_views"] == 1


@time_machine.travel(NOW, tick=False)
def test_it_offers_the_commands():
    services.access_events_ingest(events=[event("/fr/")])
    call_command("analytics_aggregate", stdout=io.StringIO())
    assert counts("total")["page_views"] == 1
    call_command("prune_access_log", "--dry-run", stdout=io.StringIO())
    assert len(services.log_rows()) == 1
    assert timezone.localdate() == DAY


def test_it_files_events_under_the_local_day_across_a_dst_change():
    # Brussels leaves summer time on 25 October 2026: that day has 25 hours.
    days = services._LocalDays()
    late = dt.datetime(2026, 10, 25, 23, 30, tzinfo=BRUSSELS).timestamp()
    early = dt.datetime(2026, 10, 26, 0, 30, tzinfo=BRUSSELS).timestamp()
    before = dt.datetime(2026, 10, 24, 23, 59, tzinfo=BRUSSELS).timestamp()
    assert days(late) == dt.date(2026, 10, 25)
    assert days(early) == dt.date(2026, 10, 26)
    assert days(before) == dt.date(2026, 10, 24)
    assert days(late) == dt.date(2026, 10, 25)


def test_it_forgets_a_past_salt_destroyed_by_another_process(monkeypatch):
    monkeypatch.setattr(services, "PAST_SALT_SECONDS", 0.0)
    VisitorSalt.objects.create(day=DAY, salt=b"s" * 32)
    with time_machine.travel(NOW + dt.timedelta(days=1), tick=False):
        # A late event of yesterday, while yesterday's salt still exists: hashed.
        services.access_events_ingest(events=[event("/fr/", consent=True)])
        # The rotation task (another process) destroys it: later late events are not hashed.
        VisitorSalt.objects.filter(day=DAY).delete()
        services.access_events_ingest(events=[event("/en/", consent=True)])
    hashed = {row.path: row.visitor for row in services.log_rows()}
    assert hashed["/fr/"] and hashed["/en/"] is None
