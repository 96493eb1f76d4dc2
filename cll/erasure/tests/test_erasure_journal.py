"""The erasure journal: written after each erasure, tamper-evident, and replayed after a restore
so that a restored backup cannot bring an erased person back."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from contextlib import closing

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from cll.accounts.models import LearnerProfile, User
from cll.core import encryption as crypto
from cll.core.management.commands.backup import _libpq_environment
from cll.core.models import DataKey
from cll.erasure.journal import journal_append, journal_flush, journal_read
from cll.erasure.models import JournalPending
from cll.erasure.services import erasure_execute, erasure_journal_replay
from cll.erasure.tests.conftest import PERSON
from cll.erasure.tests.startup import REFUSED, STARTED, start_ups
from cll.privacy.models import AuditEntry


def _lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.django_db
def test_it_journals_the_erasure_after_the_commit(
    nadia, journal, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        erasure_execute(subject=nadia)
    (line,) = _lines(journal)
    assert line["subject"] == str(nadia.public_id)
    assert line["seq"] == 1 and line["prev"] == "0" * 64
    # Only the pseudonymous id and the time: nothing else about the person.
    assert set(line) == {"v", "seq", "at", "subject", "prev", "mac"}
    assert PERSON["email"] not in journal.read_text()
    assert not JournalPending.objects.exists()
    assert journal.stat().st_mode & 0o777 == 0o600


@pytest.mark.django_db
def test_it_keeps_the_erasure_pending_when_the_journal_cannot_be_written(
    nadia, journal, settings, django_capture_on_commit_callbacks, caplog
):
    # A directory where the file should be: every append fails with an OSError.
    settings.ERASURE_JOURNAL = journal.parent / "blocked"
    settings.ERASURE_JOURNAL.mkdir(parents=True)
    with django_capture_on_commit_callbacks(execute=True):
        report = erasure_execute(subject=nadia)
    # The erasure stands (the person is erased), and the line waits in the database.
    assert not report.already_erased
    assert not LearnerProfile.objects.filter(user=nadia).exists()
    assert JournalPending.objects.filter(subject=nadia.public_id).exists()
    assert "cannot be written" in caplog.text

    # Once the journal is writable again, the periodic flush writes it.
    settings.ERASURE_JOURNAL = journal
    assert journal_flush() == 1
    assert [line["subject"] for line in _lines(journal)] == [str(nadia.public_id)]
    assert not JournalPending.objects.exists()


@pytest.mark.django_db
def test_it_chains_lines_and_detects_tampering(journal):
    import uuid

    ids = [uuid.uuid4() for _ in range(4)]
    now = timezone.now()
    journal_append((i, now) for i in ids[:2])
    journal_append((i, now) for i in ids[2:])
    reading = journal_read()
    assert reading.problems == [] and reading.subjects == ids
    assert [e.seq for e in reading.entries] == [1, 2, 3, 4]

    lines = journal.read_text().splitlines()
    # A forged line (someone's id swapped in) fails its MAC and is not replayed.
    forged = json.loads(lines[1])
    forged["subject"] = str(uuid.uuid4())
    # A removed line breaks the chain (the lines after it stay genuine).
    tampered = [lines[0], json.dumps(forged), lines[3]]
    journal.write_text("\n".join(tampered) + "\n" + '{"v":1,"seq":5')
    reading = journal_read()
    assert reading.subjects == [ids[0], ids[3]]
    assert len(reading.problems) == 3
    assert "MAC does not match" in reading.problems[1]
    assert "chain is broken" in reading.problems[2]
    assert "incomplete" in reading.problems[0]

    # Appending after a torn line starts a fresh line and chains from the last genuine one.
    journal_append([(ids[1], now)])
    assert journal_read().entries[-1].seq == 5


@pytest.mark.django_db
def test_it_refuses_lines_signed_with_another_key(journal, settings):
    import uuid

    journal_append([(uuid.uuid4(), timezone.now())])
    from cll.lib.keyring import new_key

    settings.BLIND_INDEX_KEY = new_key()
    reading = journal_read()
    assert reading.entries == [] and "MAC does not match" in reading.problems[0]


@pytest.mark.django_db
def test_the_replay_command_erases_again_and_is_idempotent(nadia, journal):
    erasure_execute(subject=nadia)
    call_command("erasure_journal_replay")
    assert JournalPending.objects.count() == 0
    assert len(_lines(journal)) == 1
    # Nothing left to do: the shell is recognised, no second erasure entry.
    assert AuditEntry.objects.filter(action="erasure.execute").count() == 1


@pytest.mark.django_db
def test_the_replay_command_fails_loudly_on_a_damaged_journal(journal):
    journal.parent.mkdir(parents=True, exist_ok=True)
    journal.write_text("not json\n")
    with pytest.raises(CommandError, match="1 problem"):
        call_command("erasure_journal_replay")


def _restore(backup_dir) -> None:
    """Put a backup's content back into the live (test) database, as a restore would: SQLite
    through its backup API, PostgreSQL with ``pg_restore --clean`` (the README's commands)."""
    connection.close()
    if connection.vendor == "sqlite":
        (backup_path,) = backup_dir.glob("*.sqlite3")
        connection.ensure_connection()
        with closing(sqlite3.connect(backup_path)) as source:
            source.backup(connection.connection)
    else:
        (backup_path,) = backup_dir.glob("*.dump")
        restore = subprocess.run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--exit-on-error",
                f"--dbname={connection.settings_dict['NAME']}",
                str(backup_path),
            ],
            env=_libpq_environment(connection.settings_dict),
            capture_output=True,
            text=True,
            check=False,
        )
        assert restore.returncode == 0, restore.stderr
    crypto.data_key_cache_clear()


@pytest.mark.django_db(transaction=True)
def test_a_restored_backup_cannot_bring_an_erased_person_back(nadia, journal, tmp_path, capsys):
    # Runs on both engines: SQLite by default, PostgreSQL when DATABASE_URL points there (CI).
    if connection.vendor == "postgresql" and not shutil.which("pg_restore"):
        pytest.fail("pg_dump and pg_restore (postgresql-client) are needed to test a restore.")
    backups = tmp_path / "backups"
    call_command("backup", output_dir=str(backups))

    erasure_execute(subject=nadia, reason="dsar")
    assert User.objects.get(pk=nadia.pk).email != PERSON["email"]
    # The erasure's own database holds the journal: it starts.
    assert start_ups(capsys) == STARTED

    _restore(backups)
    # The backup brought them back: address, profile and a live data key.
    restored = User.objects.get(pk=nadia.pk)
    assert restored.email == PERSON["email"]
    assert LearnerProfile.objects.get(user=restored).first_name == PERSON["first_name"]
    assert DataKey.objects.get(subject=nadia.public_id).destroyed_at is None
    # So no web server starts on it, each saying which command puts it right.
    assert start_ups(capsys) == REFUSED

    call_command("erasure_journal_replay")
    assert start_ups(capsys) == STARTED

    gone = User.objects.get(pk=nadia.pk)
    assert gone.email.startswith("erased-") and not gone.has_usable_password()
    assert not LearnerProfile.objects.filter(user=gone).exists()
    assert DataKey.objects.get(subject=nadia.public_id).destroyed_at is not None
    assert AuditEntry.objects.filter(
        action="erasure.execute", subject=nadia.public_id, detail__reason="journal-replay"
    ).exists()
    # Replaying again changes nothing, and the journal was not written twice.
    assert erasure_journal_replay().erased == 0
    assert len(_lines(journal)) == 1
