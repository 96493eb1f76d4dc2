"""The site refuses to start on a database behind the erasure journal (system check
``erasure.E003``, run where the web server starts), until ``erasure_journal_replay`` has run."""

from __future__ import annotations

import json
import uuid

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import ProgrammingError
from django.utils import timezone

from cll.core import serving
from cll.core.serving import serving_problems
from cll.erasure import checks as erasure_checks
from cll.erasure import journal as journal_module
from cll.erasure.journal import (
    journal_append,
    journal_last_seq,
    journal_watermark,
    journal_watermark_set,
)
from cll.erasure.services import erasure_execute
from cll.erasure.tests.startup import REFUSED, STARTED, start_ups

COMMAND = "manage.py erasure_journal_replay"


def _journal_erasures_elsewhere(count: int) -> None:
    """Lines this database does not hold: erasures made after the backup it was restored from."""
    now = timezone.now()
    journal_append((uuid.uuid4(), now) for _ in range(count))


def _ids(problems) -> list[str]:
    return [problem.id for problem in problems]


@pytest.mark.django_db
def test_an_empty_or_missing_journal_asks_nothing_of_the_database(
    journal, django_assert_num_queries
):
    assert not journal.exists()
    with django_assert_num_queries(0):
        assert serving_problems() == []
    journal.parent.mkdir(parents=True)
    journal.write_text("")
    with django_assert_num_queries(0):
        assert serving_problems() == []


@pytest.mark.django_db
def test_it_refuses_to_serve_a_database_behind_the_journal_until_the_replay(journal):
    _journal_erasures_elsewhere(2)

    (problem,) = serving_problems()
    assert problem.id == "erasure.E003" and problem.is_serious()
    assert "behind the erasure journal" in problem.msg
    assert "ends at line 2" in problem.msg and "up to line 0" in problem.msg
    assert COMMAND in problem.hint

    call_command("erasure_journal_replay")
    assert journal_watermark() == 2
    assert serving_problems() == []


@pytest.mark.django_db
def test_erasures_keep_an_up_to_date_database_up_to_date(
    nadia, alice, journal, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        erasure_execute(subject=nadia)
    assert (journal_last_seq(), journal_watermark()) == (1, 1)
    with django_capture_on_commit_callbacks(execute=True):
        erasure_execute(subject=alice)
    assert (journal_last_seq(), journal_watermark()) == (2, 2)
    assert serving_problems() == []


@pytest.mark.django_db
def test_new_erasures_do_not_hide_that_a_database_is_behind(
    nadia, journal, django_capture_on_commit_callbacks
):
    _journal_erasures_elsewhere(1)
    # An erasure on the restored database, before anyone ran the replay (a worker, say).
    with django_capture_on_commit_callbacks(execute=True):
        erasure_execute(subject=nadia)
    assert (journal_last_seq(), journal_watermark()) == (2, 0)
    assert _ids(serving_problems()) == ["erasure.E003"]

    call_command("erasure_journal_replay")
    assert serving_problems() == []


@pytest.mark.django_db
def test_the_check_reads_the_journal_tail_and_one_row(
    journal, monkeypatch, django_assert_num_queries
):
    # About 400 kB: more than the tail that is read.
    _journal_erasures_elsewhere(2000)
    assert journal.stat().st_size > 6 * journal_module._TAIL_BYTES

    def whole_journal(*args, **kwargs):
        raise AssertionError("the start-up check must not read the whole journal")

    monkeypatch.setattr(journal_module, "journal_read", whole_journal)
    with django_assert_num_queries(1):
        assert _ids(serving_problems()) == ["erasure.E003"]
    journal_watermark_set(2000)
    with django_assert_num_queries(1):
        assert serving_problems() == []


@pytest.mark.django_db
def test_a_damaged_or_forged_tail_does_not_count(journal):
    _journal_erasures_elsewhere(3)
    lines = journal.read_text().splitlines()
    forged = {**json.loads(lines[-1]), "seq": 99, "subject": str(uuid.uuid4())}
    with journal.open("a") as file:
        file.write("not json\n" + json.dumps(forged) + "\n" + '{"v":1,"seq":')
    # The last line whose MAC verifies is line 3: a forged line cannot stop the site.
    assert journal_last_seq() == 3
    journal_watermark_set(3)
    assert serving_problems() == []


@pytest.mark.django_db
def test_a_journal_shorter_than_the_database_is_a_warning(journal):
    _journal_erasures_elsewhere(2)
    journal_watermark_set(5)
    (problem,) = serving_problems()
    assert problem.id == "erasure.W001" and not problem.is_serious()
    assert "truncated or replaced" in problem.msg
    assert "off-site copy" in problem.hint
    # The replay puts the database in step with the journal as it is.
    call_command("erasure_journal_replay")
    assert journal_watermark() == 2
    assert serving_problems() == []


@pytest.mark.django_db
def test_a_database_that_cannot_say_where_it_is_is_refused(journal, monkeypatch):
    _journal_erasures_elsewhere(1)

    def not_migrated():
        raise ProgrammingError('relation "erasure_journalwatermark" does not exist')

    monkeypatch.setattr(erasure_checks, "journal_watermark", not_migrated)
    (problem,) = serving_problems()
    assert problem.id == "erasure.E004" and problem.is_serious()
    assert "ProgrammingError" in problem.msg
    assert "manage.py migrate" in problem.hint and COMMAND in problem.hint


@pytest.mark.django_db
def test_it_blocks_neither_migrate_nor_the_replay_nor_other_commands(journal):
    _journal_erasures_elsewhere(1)
    # migrate runs the system checks on its database: not this one (a deployment check).
    call_command("migrate", verbosity=0)
    call_command("check", verbosity=0)
    # The deployment checklist lists it.
    with pytest.raises(SystemCheckError, match=r"erasure\.E003"):
        call_command("check", "--deploy", "--tag", "serving", verbosity=0)
    call_command("erasure_journal_replay", verbosity=0)
    call_command("check", "--deploy", "--tag", "serving", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_every_web_server_start_is_refused_before_the_replay_and_allowed_after(journal, capsys):
    assert start_ups(capsys) == STARTED
    _journal_erasures_elsewhere(1)
    assert start_ups(capsys) == REFUSED
    call_command("erasure_journal_replay")
    assert start_ups(capsys) == STARTED


@pytest.mark.django_db
@pytest.mark.parametrize("command", ["db_worker", "crontask"])
def test_the_task_worker_and_scheduler_refuse_to_start_before_the_replay(journal, command):
    _journal_erasures_elsewhere(1)
    with pytest.raises(SystemExit) as refused:
        call_command(command)
    assert refused.value.code == serving.REFUSED
