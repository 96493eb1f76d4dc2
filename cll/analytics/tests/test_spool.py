"""The access-log spool: web workers write files, the task worker ingests them."""

import datetime as dt
import fcntl
import io
import logging
import os
import re
import signal
import stat
import time
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError
from django.utils import timezone

from cll.analytics import events, logbuffer, logstore, spool
from cll.analytics.events import Event
from cll.analytics.logbuffer import AccessLogBuffer
from cll.analytics.models import AccessLogBlock, LogSegment
from cll.analytics.tasks import access_log_ingest

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
MOMENT = 1_790_000_000.25

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def spool_dir(settings, tmp_path):
    """Each test its own spool (not created yet: the writer creates it)."""
    settings.ACCESS_LOG_SPOOL_DIR = tmp_path / "spool"
    return settings.ACCESS_LOG_SPOOL_DIR


def event(method="GET", status=200, **fields):
    values = {
        "time": MOMENT,
        "method": method,
        "path": "/fr/",
        "status": status,
        "ip": "192.0.2.1",
        "user_agent": FIREFOX,
        "accept_language": "fr",
        "referrer": "",
        "duration_ms": 3,
    }
    return Event(**(values | fields))


def spool_files(directory):
    return sorted(name for name in os.listdir(directory) if not name.startswith("."))


def rows():
    """(method, status) of every request in the log: only these two, whatever the storage."""
    return sorted(
        (row.method, row.status)
        for block in AccessLogBlock.objects.all()
        for row in logstore.rows(block)
    )


def logged_count():
    return len(rows())


def write_raw(directory, name, content: bytes):
    directory.mkdir(mode=0o700, exist_ok=True)
    (directory / name).write_bytes(content)


def valid_name(order: int) -> str:
    return f"{order:020d}-1-{order}.batch"


def test_it_round_trips_events_through_a_spool_file(spool_dir):
    events = [event(), event("POST", 302)]
    name = spool.segment_write(events=events)
    assert re.fullmatch(rf"\d{{20}}-{os.getpid()}-\d+\.batch", name)
    assert spool_files(spool_dir) == [name]
    # The batch as columns: the tables in the header, fixed-width integer columns.
    header, columns = logstore.decode((spool_dir / name).read_bytes())
    assert header["tables"]["methods"] == ["GET", "POST"]
    assert list(columns["methods"]) == [0, 1]
    assert list(columns["statuses"]) == [200, 302]
    assert list(columns["times"]) == [round(MOMENT * 1_000_000)] * 2
    assert logged_count() == 0

    assert spool.ingest() == 2
    assert rows() == [("GET", 200), ("POST", 302)]
    assert spool_files(spool_dir) == []
    assert LogSegment.objects.filter(name=name).exists()


def test_it_writes_each_distinct_value_once_per_file(spool_dir):
    events = [event(status=200 + index % 3, path=f"/fr/{index % 2}/") for index in range(500)]
    name = spool.segment_write(events=events)
    header, _columns = logstore.decode((spool_dir / name).read_bytes())
    assert header["tables"]["paths"] == ["/fr/0/", "/fr/1/"]
    assert header["tables"]["user_agents"] == [FIREFOX]
    assert (spool_dir / name).read_bytes().count(b"Firefox") == 1
    assert spool.ingest() == len(events)


def test_it_ingests_the_oldest_files_first_and_at_most_limit(spool_dir):
    first = spool.segment_write(events=[event(status=201)])
    second = spool.segment_write(events=[event(status=202)])
    assert first < second
    assert spool.ingest(limit=1) == 1
    assert rows() == [("GET", 201)]
    assert spool_files(spool_dir) == [second]
    assert spool.ingest() == 1


def test_it_keeps_the_spool_private_whatever_the_umask(spool_dir):
    previous = os.umask(0)
    try:
        name = spool.segment_write(events=[event()])
    finally:
        os.umask(previous)
    assert stat.S_IMODE(spool_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE((spool_dir / name).stat().st_mode) == 0o600


def test_it_never_raises_when_the_spool_cannot_be_written(settings, tmp_path, caplog):
    # A regular file where the spool's parent directory should be: no directory can be made
    # (works as root too, unlike a read-only directory).
    (tmp_path / "not-a-directory").write_text("")
    settings.ACCESS_LOG_SPOOL_DIR = tmp_path / "not-a-directory" / "spool"
    with caplog.at_level(logging.ERROR, logger="cll.analytics.spool"):
        assert spool.segment_write(events=[event()]) is None
    assert "could not be written" in caplog.text

    buffer = AccessLogBuffer(capacity=10, flush_events=10, flush_seconds=60, writer=False)
    buffer.add(event())
    buffer.add(event())
    assert buffer.spool() == 0
    assert buffer.dropped == 2
    assert not buffer.events


def test_the_writer_thread_writes_spool_files_and_no_rows(spool_dir):
    writer = AccessLogBuffer(capacity=100, flush_events=2, flush_seconds=30, writer=True)
    writer.add(event())
    writer.add(event("HEAD"))  # reaches flush_events: the writer wakes up at once
    # Waits for the thread, whatever the machine's speed (no duration is asserted).
    deadline = time.monotonic() + 30
    while writer.written < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert writer.written == 2
    assert len(spool_files(spool_dir)) == 1
    assert logged_count() == 0

    assert spool.ingest() == 2
    assert rows() == [("GET", 200), ("HEAD", 200)]


def test_flush_spools_then_ingests(spool_dir):
    logbuffer.buffer.add(event())
    logbuffer.buffer.add(event("POST", 403))
    assert logbuffer.flush() == 2
    assert rows() == [("GET", 200), ("POST", 403)]
    assert spool_files(spool_dir) == []
    assert not logbuffer.buffer.events


def test_it_spools_what_is_left_when_the_process_exits(spool_dir, monkeypatch):
    monkeypatch.setattr(logbuffer.buffer, "writer_enabled", True)
    logbuffer.buffer.events.append(event())
    with mock.patch("cll.analytics.spool.ingest") as ingest:
        logbuffer._flush_at_exit()
    # No database at exit: only the spool.
    ingest.assert_not_called()
    assert not logbuffer.buffer.events
    assert len(spool_files(spool_dir)) == 1
    assert logged_count() == 0
    assert spool.ingest() == 1


def test_a_crash_between_commit_and_unlink_does_not_duplicate_rows(spool_dir):
    name = spool.segment_write(events=[event(), event()])
    content = (spool_dir / name).read_bytes()
    assert spool.ingest() == 2
    # The file is back as if its deletion had never happened after the commit.
    (spool_dir / name).write_bytes(content)
    assert spool.ingest() == 0
    assert logged_count() == 2
    assert spool_files(spool_dir) == []


def test_it_leaves_the_file_for_the_next_pass_when_the_database_fails(spool_dir):
    name = spool.segment_write(events=[event()])
    with mock.patch(
        "cll.analytics.spool.access_batch_ingest", side_effect=OperationalError("gone")
    ):
        assert spool.ingest() == 0
    assert spool_files(spool_dir) == [name]
    assert not LogSegment.objects.exists()
    assert spool.ingest() == 1
    assert logged_count() == 1


def blob(events=None, *, header=None, columns=None, types=None) -> bytes:
    """A spool file's content (one event by default), with its header's entries, columns or
    type codes changed."""
    valid_header, valid_columns = logstore.decode(spool._serialised(events or [event()]))
    header_changes = header or {}
    values = {**valid_columns, **(columns or {})}
    content = {
        "tables": valid_header["tables"],
        "rows": valid_header["rows"],
    } | header_changes
    spec = [(name, (types or {}).get(name, code)) for name, code in spool.SPOOL_COLUMNS]
    return logstore.encode(content, spec, [values[name] for name, _code in spec])


def tables(**changes) -> dict:
    return logstore.decode(VALID)[0]["tables"] | changes


VALID = blob()
TIME_US = round(MOMENT * 1_000_000)
GARBAGE = {
    "empty": b"",
    "not a batch": b"GET /fr/ 200",
    "bad JSON": b"CLL1\x05\x00\x00\x00{nope",
    "deep nesting": b"CLL1" + (200_002).to_bytes(4, "little") + b"[" * 100_001 + b"]" * 100_001,
    "another version": VALID.replace(b'"v":1', b'"v":2'),
    "truncated": VALID[:-3],
    "trailing bytes": VALID + b"\x00",
    "a missing table": blob(header={"tables": {k: v for k, v in tables().items() if k != "paths"}}),
    "a number in a table": blob(header={"tables": tables(paths=[5])}),
    "a table not a list": blob(header={"tables": tables(paths="/fr/")}),
    "rows not a number": blob(header={"rows": "1"}),
    "no event": blob(header={"rows": 0}, columns={name: [] for name in spool._SPOOL_NAMES}),
    "other type codes": blob(types={"statuses": "Q"}),
    "an index out of its table": blob(columns={"paths": [1]}),
    # Negative numbers need signed columns, which a spool file never has.
    "a negative index": blob(columns={"paths": [-1]}, types={"paths": "h"}),
    "a negative status": blob(columns={"statuses": [-200]}, types={"statuses": "h"}),
    "a negative duration": blob(columns={"durations": [-1]}, types={"durations": "i"}),
    "a negative time": blob(columns={"times": [-1]}, types={"times": "q"}),
    "a time past year 9999": blob(columns={"times": [10**18]}),
    "clickstream not 0 or 1": blob(columns={"clickstream": [2]}),
    "more events than a block holds": blob(
        [event()] * 10,
        header={"rows": 10_001},
        columns={name: [0] * 10_001 for name in spool._SPOOL_NAMES} | {"times": [TIME_US] * 10_001},
    ),
    "a bad column in a file of two events": blob(
        [event(), event()], columns={"durations": [1, 2**31]}
    ),
}


@pytest.mark.parametrize("content", GARBAGE.values(), ids=GARBAGE.keys())
def test_it_deletes_damaged_files_and_ingests_the_others(spool_dir, content, caplog):
    write_raw(spool_dir, valid_name(1), blob([event(status=201)]))
    write_raw(spool_dir, valid_name(2), content)
    write_raw(spool_dir, valid_name(3), blob([event(status=203)]))
    lost = spool.lost
    with caplog.at_level(logging.ERROR, logger="cll.analytics.spool"):
        assert spool.ingest() == 2
    assert rows() == [("GET", 201), ("GET", 203)]
    assert spool_files(spool_dir) == []
    assert f"damaged spool file {valid_name(2)} deleted" in caplog.text
    assert not LogSegment.objects.filter(name=valid_name(2)).exists()
    if content == GARBAGE["a bad column in a file of two events"]:
        assert spool.lost == lost + 2


def test_it_accepts_every_kind_of_event(spool_dir):
    events = [
        event(time=1_790_000_000),  # an int time
        event(clickstream=True, session_key="session-key", exit_url="https://example.org/"),
        event(clickstream=False, session_key=None),
    ]
    write_raw(spool_dir, valid_name(1), spool._serialised(events))
    assert spool.ingest() == 3


def test_it_deletes_batch_files_not_named_by_a_writer(spool_dir, caplog):
    write_raw(spool_dir, "notes.batch", VALID)
    with caplog.at_level(logging.ERROR, logger="cll.analytics.spool"):
        assert spool.ingest() == 0
    assert spool_files(spool_dir) == []
    assert "notes.batch" in caplog.text


def test_it_skips_a_file_it_cannot_read_and_keeps_it(spool_dir, caplog):
    # A directory under a spool file's name: unreadable, even as root.
    (spool_dir / valid_name(1)).mkdir(parents=True)
    write_raw(spool_dir, valid_name(2), VALID)
    with caplog.at_level(logging.ERROR, logger="cll.analytics.spool"):
        assert spool.ingest() == 1
    assert spool_files(spool_dir) == [valid_name(1)]
    assert "could not be read" in caplog.text


def test_a_second_ingester_returns_at_once_while_the_lock_is_held(spool_dir):
    name = spool.segment_write(events=[event()])
    # Another open file description: flock conflicts as with another process.
    with open(spool_dir / spool.LOCK_NAME, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert spool.ingest() == 0
        assert spool_files(spool_dir) == [name]
    assert spool.ingest() == 1


def test_it_returns_zero_when_no_spool_exists_yet(spool_dir):
    assert not spool_dir.exists()
    assert spool.ingest() == 0


def test_it_deletes_stale_temporary_files_and_forgets_old_segments(spool_dir):
    spool.segment_write(events=[event()])
    stale = spool_dir / ".tmp-00000000000000000001-9-9.batch"
    fresh = spool_dir / ".tmp-00000000000000000002-9-9.batch"
    stale.write_text("[")
    fresh.write_text("[")
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    LogSegment.objects.create(name="old")
    LogSegment.objects.filter(name="old").update(ingested_at=timezone.now() - dt.timedelta(days=2))
    LogSegment.objects.create(name="recent")

    assert spool.ingest() == 1
    assert not stale.exists()
    assert fresh.exists()
    assert set(LogSegment.objects.values_list("name", flat=True)) >= {"recent"}
    assert not LogSegment.objects.filter(name="old").exists()


def test_the_command_ingests_one_pass():
    spool.segment_write(events=[event(), event()])
    out = io.StringIO()
    call_command("access_log_ingest", stdout=out)
    assert out.getvalue() == ""
    assert logged_count() == 2

    spool.segment_write(events=[event()])
    call_command("access_log_ingest", verbosity=2, stdout=out)
    assert out.getvalue() == "1 access-log row(s) ingested\n"


def test_the_command_watches_until_a_signal_after_the_current_pass():
    passes = []
    original = signal.getsignal(signal.SIGTERM)

    def ingest(**kwargs):
        passes.append(kwargs)
        if len(passes) == 2:
            # Delivered during the pass: the pass finishes, the loop ends.
            os.kill(os.getpid(), signal.SIGTERM)
        return 7

    out = io.StringIO()
    with mock.patch("cll.analytics.spool.ingest", side_effect=ingest):
        call_command("access_log_ingest", watch=0.001, verbosity=2, stdout=out)
    assert len(passes) == 2
    assert out.getvalue() == "7 access-log row(s) ingested\n" * 2
    assert signal.getsignal(signal.SIGTERM) == original


def test_the_command_refuses_a_watch_period_that_is_not_positive():
    with pytest.raises(CommandError, match="--watch"):
        call_command("access_log_ingest", watch=0)


def test_the_task_ingests_the_spool(spool_dir):
    spool.segment_write(events=[event(), event("POST", 500)])
    assert access_log_ingest.call() == 2
    assert rows() == [("GET", 200), ("POST", 500)]
    assert spool_files(spool_dir) == []


def test_the_batch_tables_are_the_text_columns():
    batch = events.Batch.of([event()])
    tables = {
        name
        for name, column in zip(batch._fields, batch, strict=True)
        if isinstance(column, events.Table)
    }
    assert tables == events.TABLE_FIELDS


def test_the_writers_report_a_spool_nobody_ingests(spool_dir, caplog, monkeypatch):
    assert spool.backlog_check() == 0.0
    name = spool.segment_write(events=[event()])
    assert spool.backlog_check() < spool.BACKLOG_SECONDS
    # The same file, as if written 20 minutes ago (names start with their writing time).
    old = f"{time.time_ns() - 1_200 * 10**9:020d}-1-1.batch"
    (spool_dir / name).rename(spool_dir / old)
    monkeypatch.setattr(spool, "_backlog_reported", [float("-inf")])
    with caplog.at_level(logging.ERROR, logger="cll.analytics.spool"):
        assert spool.backlog_check() >= 1_200 - 5
        spool.backlog_check()  # reported once, not at every flush
    assert caplog.text.count("is the task worker") == 1
    assert spool.ingest() == 1
    assert spool.backlog_check() == 0.0
