"""manage.py backup: the copy restores, and the manifest describes it truthfully."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import stat
import subprocess
import uuid
from contextlib import closing
from io import StringIO
from pathlib import Path

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from cll.core.management.commands.backup import _libpq_environment
from cll.core.outbox import email_queue


def _backup(directory: Path) -> tuple[Path, dict]:
    out = StringIO()
    call_command("backup", output_dir=str(directory), stdout=out)
    (manifest_path,) = directory.glob("cll-default-*.json")
    manifest = json.loads(manifest_path.read_text())
    backup = directory / manifest["file"]
    assert str(backup) in out.getvalue()
    return backup, manifest


def _assert_manifest_matches(backup: Path, manifest: dict, vendor: str) -> None:
    assert manifest["database"] == {"alias": "default", "vendor": vendor}
    assert manifest["size"] == backup.stat().st_size
    assert manifest["sha256"] == hashlib.sha256(backup.read_bytes()).hexdigest()
    # The latest migration of each app, as the migration graph has it.
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    for app in ("core", "privacy"):
        assert manifest["migrations"][app] == graph.leaf_nodes(app)[0][1]
    assert manifest["app_version"] == "0.1.0"
    assert manifest["created_at"].endswith("+00:00")
    # Only the owner may read a backup of everyone's data; no partial files are left behind.
    for path in backup.parent.iterdir():
        assert not path.name.startswith(".")
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_it_backs_up_sqlite_into_a_file_that_opens(transactional_db, tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite backup")
    # Committed, like the data of the running site the backup copies.
    email = email_queue(to="alice@example.org", subject="Hello", text="Body")

    backup, manifest = _backup(tmp_path / "backups")

    _assert_manifest_matches(backup, manifest, "sqlite")
    assert backup.suffix == ".sqlite3"
    assert manifest["master_key_ids"] == [_active_master_key_id()]
    with closing(sqlite3.connect(backup)) as restored:
        assert restored.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        # A single self-contained file, not one that needs its -wal beside it.
        assert restored.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        (count,) = restored.execute(
            "SELECT count(*) FROM core_outboxemail WHERE id = ?", [email.pk.hex]
        ).fetchone()
        assert count == 1
        # Personal data stays sealed in the backup.
        (to_address,) = restored.execute("SELECT to_address FROM core_outboxemail").fetchone()
        assert to_address.startswith("e1.")
        (applied,) = restored.execute(
            "SELECT name FROM django_migrations WHERE app = 'core' ORDER BY id DESC LIMIT 1"
        ).fetchone()
        assert applied == manifest["migrations"]["core"]


def test_it_defaults_to_backup_dir(transactional_db, tmp_path, settings):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite backup")
    settings.BACKUP_DIR = tmp_path / "default-dir"

    call_command("backup", stdout=StringIO())

    assert len(list(settings.BACKUP_DIR.glob("cll-default-*.sqlite3"))) == 1
    assert stat.S_IMODE(settings.BACKUP_DIR.stat().st_mode) == 0o700


@pytest.mark.django_db
def test_it_refuses_to_run_inside_a_transaction(tmp_path):
    with pytest.raises(CommandError, match="outside a transaction"):
        call_command("backup", output_dir=str(tmp_path), stdout=StringIO())
    assert list(tmp_path.iterdir()) == []


def test_it_passes_the_postgres_password_through_the_environment(monkeypatch):
    monkeypatch.setenv("PGPASSWORD", "inherited-and-wrong")
    env = _libpq_environment(
        {
            "NAME": "cll",
            "USER": "cll",
            "PASSWORD": "s3cret",
            "HOST": "db.internal",
            "PORT": 5433,
            "OPTIONS": {"sslmode": "verify-full"},
        }
    )
    assert env["PGPASSWORD"] == "s3cret"
    assert env["PGDATABASE"] == "cll"
    assert env["PGPORT"] == "5433"
    assert env["PGSSLMODE"] == "verify-full"


def test_it_never_puts_the_password_on_the_command_line(monkeypatch, tmp_path):
    """The argument list of pg_dump is visible to every local user (ps); the env is not."""
    calls = []

    def fake_run(args, **kwargs):
        calls.append((args, kwargs.get("env")))
        return subprocess.CompletedProcess(args, 0, "", "")

    from cll.core.management.commands import backup as backup_command

    monkeypatch.setattr(backup_command.subprocess, "run", fake_run)
    monkeypatch.setattr(backup_command.shutil, "which", lambda name: f"/usr/bin/{name}")

    class FakeConnection:
        settings_dict = {"NAME": "cll", "USER": "cll", "PASSWORD": "s3cret", "HOST": "", "PORT": ""}

    backup_command._backup_postgresql(FakeConnection(), tmp_path / "dump")

    dump_args, dump_env = calls[0]
    assert dump_args[0] == "/usr/bin/pg_dump"
    assert "--format=custom" in dump_args
    assert not any("s3cret" in argument for argument in dump_args)
    assert dump_env["PGPASSWORD"] == "s3cret"


def test_it_reports_a_failed_pg_dump(monkeypatch, tmp_path):
    from cll.core.management.commands import backup as backup_command

    monkeypatch.setattr(
        backup_command.subprocess,
        "run",
        lambda args, **kwargs: subprocess.CompletedProcess(args, 1, "", "connection refused"),
    )
    monkeypatch.setattr(backup_command.shutil, "which", lambda name: f"/usr/bin/{name}")

    class FakeConnection:
        settings_dict = {"NAME": "cll"}

    with pytest.raises(CommandError, match="pg_dump failed"):
        backup_command._backup_postgresql(FakeConnection(), tmp_path / "dump")


def test_it_backs_up_postgresql_into_a_dump_that_restores(transactional_db, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL backup")
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump is not installed")
    # Committed (transactional test), so pg_dump's own connection sees it.
    email = email_queue(to="alice@example.org", subject="Hello", text="Body")

    backup, manifest = _backup(tmp_path)

    _assert_manifest_matches(backup, manifest, "postgresql")
    assert backup.suffix == ".dump"
    settings_dict = connection.settings_dict
    scratch = f"cll_restore_{uuid.uuid4().hex[:12]}"
    env = _libpq_environment(settings_dict)
    admin = psycopg.connect(autocommit=True, **_psycopg_params(settings_dict))
    try:
        admin.execute(f'CREATE DATABASE "{scratch}"')
        restore = subprocess.run(
            ["pg_restore", "--no-owner", f"--dbname={scratch}", str(backup)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert restore.returncode == 0, restore.stderr
        params = {**_psycopg_params(settings_dict), "dbname": scratch}
        with psycopg.connect(**params) as restored:
            (count,) = restored.execute(
                "SELECT count(*) FROM core_outboxemail WHERE id = %s", [email.pk]
            ).fetchone()
            assert count == 1
            (applied,) = restored.execute(
                "SELECT name FROM django_migrations WHERE app = 'core' ORDER BY id DESC LIMIT 1"
            ).fetchone()
            assert applied == manifest["migrations"]["core"]
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{scratch}"')
        admin.close()


def _psycopg_params(settings_dict: dict) -> dict:
    params = {
        "dbname": settings_dict["NAME"],
        "user": settings_dict.get("USER") or None,
        "password": settings_dict.get("PASSWORD") or None,
        "host": settings_dict.get("HOST") or None,
        "port": settings_dict.get("PORT") or None,
    }
    return {key: value for key, value in params.items() if value is not None}


def _active_master_key_id() -> str:
    from django.conf import settings

    return settings.ENCRYPTION_KEYRING.active_id
