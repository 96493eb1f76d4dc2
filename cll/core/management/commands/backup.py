"""``manage.py backup``: a consistent copy of the database and a manifest that describes it.

SQLite is copied with SQLite's online backup API (a consistent snapshot while the site keeps
running; copying the file could catch a half-written page or miss the WAL). PostgreSQL is
dumped with ``pg_dump --format=custom`` (restore with ``pg_restore``); the password goes
through the ``PGPASSWORD`` environment variable, never the command line, where any local user
could read it in the process list.

The manifest (``<backup>.json``) is written last, so a backup without a manifest is incomplete.
It records the SHA-256 of the file, the latest migration of each app (which code version can
restore it) and the ids of the master keys that wrap the data keys: personal data in the backup
is encrypted, and opens only with those keys from ``CLL_KEYRING``, which are never in the backup.

Restoring (the steps cll/erasure/tests/test_erasure_journal.py runs on both engines): stop the
site; SQLite, copy the ``.sqlite3`` file over the database file; PostgreSQL, ``pg_restore
--clean --if-exists --no-owner --single-transaction --dbname=<database> <file>.dump``; then
``manage.py migrate`` and ``manage.py erasure_journal_replay``. Until the replay has run, the
web server refuses to start on a database behind the erasure journal (check ``erasure.E003``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tomllib
from contextlib import closing, suppress
from datetime import UTC, datetime
from pathlib import Path

import django
from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.recorder import MigrationRecorder

# libpq environment variables for the OPTIONS a DATABASES entry may carry.
_PG_OPTION_ENV = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
    "connect_timeout": "PGCONNECT_TIMEOUT",
}


class Command(BaseCommand):
    help = (
        "Back up the database into BACKUP_DIR (CLL_BACKUP_DIR) or --output-dir: SQLite through "
        "its online backup API, PostgreSQL with pg_dump --format=custom. Writes "
        "cll-<alias>-<UTC timestamp>.<sqlite3|dump> and a .json manifest (size, sha256, latest "
        "migration per app, app version, master key ids needed to read encrypted data). Files "
        "are readable by their owner only."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output-dir", help="Directory to write to (default: BACKUP_DIR).")
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, help="Database alias (default: default)."
        )

    def handle(self, *args, output_dir=None, database=DEFAULT_DB_ALIAS, **options):
        connection = connections[database]
        if connection.in_atomic_block:
            # SQLite's backup would wait forever on our own write lock, and pg_dump could not
            # see what this transaction has not committed.
            raise CommandError("Run backup outside a transaction.")
        vendor = connection.vendor
        extension = {"sqlite": "sqlite3", "postgresql": "dump"}.get(vendor)
        if extension is None:
            raise CommandError(f"Backing up a {vendor} database is not supported.")
        directory = Path(output_dir or settings.BACKUP_DIR)
        # Backups hold everyone's (encrypted) data: only the owner may enter the directory.
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)

        created_at = datetime.now(UTC)
        name = f"cll-{database}-{created_at:%Y%m%dT%H%M%S%fZ}.{extension}"
        target = directory / name
        partial = directory / f".{name}.partial"
        _create_private(partial)
        try:
            if vendor == "sqlite":
                _backup_sqlite(connection, partial)
            else:
                _backup_postgresql(connection, partial)
            os.replace(partial, target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise

        manifest = {
            "format": 1,
            "created_at": created_at.isoformat(),
            "database": {"alias": database, "vendor": vendor},
            "file": name,
            "size": target.stat().st_size,
            "sha256": _sha256(target),
            "migrations": _latest_migrations(connection),
            "master_key_ids": _master_key_ids(database),
            "app_version": _app_version(),
            "django_version": django.get_version(),
        }
        manifest_path = target.with_name(f"{name}.json")
        partial_manifest = directory / f".{name}.json.partial"
        _create_private(partial_manifest)
        partial_manifest.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        os.replace(partial_manifest, manifest_path)

        self.stdout.write(
            self.style.SUCCESS(f"Backup written: {target} ({manifest['size']} bytes)")
        )


def _create_private(path: Path) -> None:
    # Created before anything is written, so no moment exists where others could read it.
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))


def _backup_sqlite(connection, path: Path) -> None:
    connection.ensure_connection()
    with closing(sqlite3.connect(path)) as target:
        connection.connection.backup(target)
        # A self-contained file: without this the copy keeps WAL mode and needs side files.
        target.execute("PRAGMA journal_mode=DELETE")
        (result,) = target.execute("PRAGMA quick_check").fetchone()
        if result != "ok":
            raise CommandError(f"The SQLite backup failed its integrity check: {result}")


def _backup_postgresql(connection, path: Path) -> None:
    pg_dump = shutil.which("pg_dump")
    pg_restore = shutil.which("pg_restore")
    if pg_dump is None or pg_restore is None:
        raise CommandError("pg_dump and pg_restore must be installed (postgresql-client).")
    env = _libpq_environment(connection.settings_dict)
    dump = subprocess.run(  # noqa: S603 (fixed argument list, no shell)
        [pg_dump, "--format=custom", "--no-password", f"--file={path}"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if dump.returncode != 0:
        raise CommandError(f"pg_dump failed ({dump.returncode}): {dump.stderr.strip()}")
    # Reading the archive's table of contents proves it is complete and readable.
    listing = subprocess.run(  # noqa: S603
        [pg_restore, "--list", str(path)], capture_output=True, text=True, check=False
    )
    if listing.returncode != 0:
        raise CommandError(f"pg_restore cannot read the dump: {listing.stderr.strip()}")


def _libpq_environment(settings_dict: dict) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    values = {
        "PGDATABASE": settings_dict.get("NAME"),
        "PGUSER": settings_dict.get("USER"),
        "PGPASSWORD": settings_dict.get("PASSWORD"),
        "PGHOST": settings_dict.get("HOST"),
        "PGPORT": settings_dict.get("PORT"),
    }
    for option, variable in _PG_OPTION_ENV.items():
        values[variable] = (settings_dict.get("OPTIONS") or {}).get(option)
    env.update({key: str(value) for key, value in values.items() if value not in (None, "")})
    return env


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _latest_migrations(connection) -> dict[str, str]:
    """The last applied migration of each app: the schema state the backup restores to."""
    recorder = MigrationRecorder(connection)
    if not recorder.has_table():
        return {}
    latest: dict[str, str] = {}
    for app, name in recorder.migration_qs.order_by("applied", "id").values_list("app", "name"):
        latest[app] = name
    return dict(sorted(latest.items()))


def _master_key_ids(database: str) -> list[str]:
    """Which master keys of CLL_KEYRING the backup's data keys are wrapped by (ids only)."""
    with suppress(LookupError):
        DataKey = apps.get_model("core", "DataKey")
        return sorted(
            DataKey.objects.using(database)
            .filter(destroyed_at__isnull=True)
            .values_list("master_key_id", flat=True)
            .distinct()
        )
    return []


def _app_version() -> str:
    with (
        suppress(OSError, KeyError, tomllib.TOMLDecodeError),
        (Path(settings.BASE_DIR) / "pyproject.toml").open("rb") as file,
    ):
        return tomllib.load(file)["project"]["version"]
    return "unknown"
