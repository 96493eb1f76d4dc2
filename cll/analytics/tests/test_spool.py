"""The access-log spool: web workers write files, the task worker ingests them."""

import datetime as dt
import fcntl
import io
import json
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

from cll.analytics import logbuffer, logstore, spool
from cll.analytics.logbuffer import AccessLogBuffer, Event
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
    return f"{order:020d}-1-{order}.json"


def test_it_round_trips_events_through_a_spool_file(spool_dir):
    events = [event(), event("POST", 302)]
    name = spool.segment_write(events=events)
    assert re.fullmatch(rf"\d{{20}}-{os.getpid()}-\d+\.json", name)
    assert spool_files(spool_dir) == [name]
    # One compact JSON document: a list of lists in Event's field order.
    expected = json.dumps([list(item) for item in events], separators=(",", ":"))
    assert (spool_dir / name).read_text() == expected
    assert logged_count() == 0

    assert spool.ingest() == 2
    assert rows() == [("GET", 200), ("POST", 302)]
    assert spool_files(spool_dir) == []
    assert LogSegment.objects.filter(name=name).exists()


def test_it_writes_a_large_batch_as_one_document(spool_dir):
    # Serialised in chunks (threads can switch between them): the same bytes as one dumps.
    events = [event(status=200 + index % 300) for index in range(2 * spool.ENCODE_CHUNK + 3)]
    name = spool.segment_write(events=events)
    expected = json.dumps([list(item) for item in events], separators=(",", ":"))
    assert (spool_dir / name).read_text() == expected
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
        "cll.analytics.services.access_events_ingest", side_effect=OperationalError("gone")
    ):
        assert spool.ingest() == 0
    assert spool_files(spool_dir) == [name]
    assert not LogSegment.objects.exists()
    assert spool.ingest() == 1
    assert logged_count() == 1


def _item(**changes):
    item = list(event(session_key=None))
    for index, value in changes.items():
        item[int(index[1:])] = value
    return item


GARBAGE = {
    "empty": b"",
    "not JSON": b"GET /fr/ 200",
    "bad UTF-8": b'[["\xff"]]',
    "an object": b'{"time": 1}',
    "a list of numbers": b"[1, 2]",
    "11 items": json.dumps([_item()[:11]]).encode(),
    "13 items": json.dumps([[*_item(), ""]]).encode(),
    "a string for the status": json.dumps([_item(i3="200")]).encode(),
    "a float for the status": json.dumps([_item(i3=200.0)]).encode(),
    "a bool for the status": json.dumps([_item(i3=True)]).encode(),
    "a bool for the duration": json.dumps([_item(i8=False)]).encode(),
    "a bool for the time": json.dumps([_item(i0=True)]).encode(),
    "an int for clickstream": json.dumps([_item(i9=1)]).encode(),
    "a number for the session key": json.dumps([_item(i10=5)]).encode(),
    "null for the path": json.dumps([_item(i2=None)]).encode(),
    "NaN for the time": json.dumps([_item(i0=float("nan"))]).encode(),
    "an overflowing time": b'[[1e999, "GET", "/", 200, "", "", "", "", 1, false, null, ""]]',
    "a time past year 9999": json.dumps([_item(i0=10**12)]).encode(),
    "a negative time": json.dumps([_item(i0=-1)]).encode(),
    "a huge integer": b'[[1, "GET", "/", '
    + b"9" * 5000
    + b', "", "", "", "", 1, false, null, ""]]',
    "deep nesting": b"[" * 100_000 + b"]" * 100_000,
    "a bad event after a good one": json.dumps([_item(), _item(i3="x")]).encode(),
}


@pytest.mark.parametrize("content", GARBAGE.values(), ids=GARBAGE.keys())
def test_it_deletes_damaged_files_and_ingests_the_others(spool_dir, content, caplog):
    write_raw(spool_dir, valid_name(1), json.dumps([_item(i3=201)]).encode())
    write_raw(spool_dir, valid_name(2), content)
    write_raw(spool_dir, valid_name(3), json.dumps([_item(i3=203)]).encode())
    lost = spool.lost
    with caplog.at_level(logging.ERROR, logger="cll.analytics.spool"):
        assert spool.ingest() == 2
    assert rows() == [("GET", 201), ("GET", 203)]
    assert spool_files(spool_dir) == []
    assert f"damaged spool file {valid_name(2)} deleted" in caplog.text
    assert not LogSegment.objects.filter(name=valid_name(2)).exists()
    if content == GARBAGE["a bad event after a good one"]:
        assert spool.lost == lost + 2


def test_it_accepts_every_type_an_event_may_hold(spool_dir):
    items = [
        _item(i0=1_790_000_000),  # an int time
        _item(i9=True, i10="session-key", i11="https://example.org/"),
        _item(i9=False, i10=None),
    ]
    write_raw(spool_dir, valid_name(1), json.dumps(items).encode())
    assert spool.ingest() == 3


def test_it_deletes_json_files_not_named_by_a_writer(spool_dir, caplog):
    write_raw(spool_dir, "notes.json", json.dumps([_item()]).encode())
    with caplog.at_level(logging.ERROR, logger="cll.analytics.spool"):
        assert spool.ingest() == 0
    assert spool_files(spool_dir) == []
    assert "notes.json" in caplog.text


def test_it_skips_a_file_it_cannot_read_and_keeps_it(spool_dir, caplog):
    # A directory under a spool file's name: unreadable, even as root.
    (spool_dir / valid_name(1)).mkdir(parents=True)
    write_raw(spool_dir, valid_name(2), json.dumps([_item()]).encode())
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
    stale = spool_dir / ".tmp-00000000000000000001-9-9.json"
    fresh = spool_dir / ".tmp-00000000000000000002-9-9.json"
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
