"""The access log's block format: what is stored, what is not, and damaged blocks."""

import datetime as dt
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cll.analytics import logstore, services
from cll.analytics.events import Event
from cll.analytics.models import AccessLogBlock, VisitorSalt
from conftest import hypothesis_examples

pytestmark = pytest.mark.django_db

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
MOMENT = 1_790_000_000.25  # 21 September 2026, 14:13 in Brussels


def event(
    path="/fr/",
    *,
    ua=FIREFOX,
    status=200,
    consent=False,
    session=None,
    exit_url="",
    ip="198.51.100.7",
    method="GET",
    offset=0.0,
):
    return Event(
        MOMENT + offset, method, path, status, ip, ua, "fr-BE", "", 7, consent, session, exit_url
    )


@pytest.fixture
def salted():
    day = services._local_days(MOMENT)
    VisitorSalt.objects.create(day=day, salt=b"k" * 32)
    return day


def test_it_stores_repeated_values_once_per_block():
    events = [event(f"/fr/courses/session-{n % 3}/", offset=n) for n in range(300)]
    assert services.access_events_ingest(events=events) == 300
    block = AccessLogBlock.objects.get()
    header, columns = logstore.unpack(block.data)
    assert header["paths"] == [f"/fr/courses/session-{n}/" for n in range(3)]
    assert len(header["agents"]) == 1 and header["agents"][0][1:] == ["Firefox", "Linux", 0]
    assert len(columns["time"]) == block.events == 300
    assert block.first_us == round(MOMENT * 1_000_000)
    assert block.last_us == round((MOMENT + 299) * 1_000_000)
    # About 30 bytes per request before compression; far less stored.
    assert len(bytes(block.data)) < 300 * 10
    assert [row.path for row in services.log_rows()][:4] == [
        "/fr/courses/session-0/",
        "/fr/courses/session-1/",
        "/fr/courses/session-2/",
        "/fr/courses/session-0/",
    ]


def test_it_splits_batches_into_blocks_of_one_day_and_bounded_size(monkeypatch):
    monkeypatch.setattr(logstore, "BLOCK_EVENTS", 4)
    events = [event(offset=n * 3600) for n in range(30)]  # 30 hours: two or three local days
    assert services.access_events_ingest(events=events) == 30
    blocks = list(AccessLogBlock.objects.order_by("id"))
    assert all(block.events <= 4 for block in blocks)
    for block in blocks:
        days = {services._LocalDays()(row.time_us / 1_000_000) for row in logstore.rows(block)}
        assert days == {block.day}
    assert sorted(row.time_us for row in services.log_rows()) == [
        round((MOMENT + n * 3600) * 1_000_000) for n in range(30)
    ]


def test_it_keeps_the_clickstream_apart_and_only_for_consenting_page_views_and_exits(salted):
    services.access_events_ingest(
        events=[
            event("/fr/", consent=True, session="s1"),
            event("/fr/missing/", consent=True, session="s1", status=404, offset=1),
            event("/fr/contact/", consent=True, session="s1", method="POST", offset=2),
            event(
                "/fr/go/",
                consent=True,
                session="s1",
                status=302,
                offset=3,
                exit_url="https://example.org/x",
            ),
            event("/fr/", ua=GOOGLEBOT, consent=True, session="s2", offset=4),
            event("/fr/", consent=False, session="s3", offset=5),
        ]
    )
    rows = services.log_rows()
    assert [bool(row.visitor) for row in rows] == [True, False, False, True, False, False]
    assert rows[3].exit_url == "https://example.org/x" and not rows[3].page_view
    assert rows[0].visit == rows[3].visit and rows[0].visitor == rows[3].visitor
    # The technical log has no hash, the clickstream no address, agent or path.
    block = AccessLogBlock.objects.get()
    assert b"198.51.100.7" not in zlib.decompress(bytes(block.data))
    stored = zlib.decompress(bytes(block.clickstream))
    assert b"198.51.100.7" not in stored and b"Firefox" not in stored and b"/fr/" not in stored


@pytest.mark.parametrize(
    "blob",
    [
        b"",
        b"not zlib",
        zlib.compress(b"CLL1"),
        zlib.compress(b"XXXX\x02\x00\x00\x00{}"),
        zlib.compress(b'CLL1\x09\x00\x00\x00{"v":99}'),
        zlib.compress(b'CLL1\x3d\x00\x00\x00{"v":1,"rows":5,"columns":["time"],"types":"q"}'),
        zlib.compress(b"CLL1" + b"\x00" * 80_000_000),
    ],
    ids=["empty", "not-zlib", "short", "magic", "version", "truncated", "bomb"],
)
def test_it_refuses_damaged_blocks(blob):
    with pytest.raises(logstore.DamagedBlock):
        logstore.unpack(blob)


def test_it_counts_a_day_without_its_damaged_block(caplog):
    services.access_events_ingest(events=[event()])
    services.access_events_ingest(events=[event(offset=1)])
    AccessLogBlock.objects.filter(id=AccessLogBlock.objects.order_by("id").first().id).update(
        data=b"garbage"
    )
    day = AccessLogBlock.objects.first().day
    services.aggregates_compute(day=day)
    from cll.analytics.models import DailyAggregate

    total = DailyAggregate.objects.get(day=day, dimension="total", key="requests")
    assert total.count == 1
    assert "damaged" in caplog.text


text = st.text(alphabet=st.characters(max_codepoint=0x10FFFF), max_size=600)


@settings(
    max_examples=hypothesis_examples(0.4),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(path=text, ua=text, language=text, referrer=text, ip=text, method=text, exit_url=text)
def test_it_reads_back_whatever_it_was_given(path, ua, language, referrer, ip, method, exit_url):
    AccessLogBlock.objects.all().delete()
    services.access_events_ingest(
        events=[
            Event(MOMENT, method, path, 200, ip, ua, language, referrer, 1, False, None, exit_url)
        ]
    )
    [row] = services.log_rows()
    assert row.path == path[:500].replace("\x00", "")
    assert row.user_agent == ua[:512].replace("\x00", "")
    assert row.ip == ip[:45].replace("\x00", "")
    assert row.method == method[:8].replace("\x00", "")
    assert row.time == dt.datetime.fromtimestamp(MOMENT, dt.UTC)
