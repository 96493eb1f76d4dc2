"""The migrated test database, built once and copied into each test run and xdist worker.

Migrating from scratch takes each worker about five seconds (106 migrations, most of it Django
rendering model states). The schema must stay the migrated one: the migrations create the
ledger's append-only triggers and seed data (staff groups, policy versions, the cookie policy
published after ``migrate``) that the tests rely on. So the first worker that needs the
database migrates it as usual and saves the result as a template; every later worker, and later
runs, copy the template instead of migrating:

- SQLite: a file in the system's temporary directory, copied into the in-memory test database
  with SQLite's backup API;
- PostgreSQL: a database ``cll_test_template_<key>``, the test database being created from it
  (``CREATE DATABASE ... TEMPLATE``).

The template's name is a digest of everything the migrated database depends on: the project's
source files (migrations, the code and texts they load, the registries post_migrate reads),
every installed distribution's version, the engine, the settings holding keys and the ``CLL_*``
variables. Any change, a migration added or a policy text edited, gives a new name, so a stale
template is never used; it is simply built again (and the oldest templates are removed). A lock
makes concurrent workers wait for the one that builds it.

Set ``CLL_TEST_DB_TEMPLATE=0`` to migrate in each worker as before.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

from django.conf import settings
from django.core.management.commands import migrate
from django.core.management.sql import emit_post_migrate_signal
from django.utils.functional import cached_property

ROOT = Path(__file__).resolve().parent.parent
# The sources the migrated database can depend on: the project (its tests aside) and the
# test-only app installed by cll/test.py.
SOURCES = (ROOT / "cll", ROOT / "tests" / "testapp")
KEEP = 4  # templates kept (the newest), so switching branches back and forth stays fast
PREFIX = "cll_test_template_"


def enabled() -> bool:
    return os.environ.get("CLL_TEST_DB_TEMPLATE", "1") != "0"


def _source_files() -> Iterator[Path]:
    for top in SOURCES:
        for path in sorted(top.rglob("*")):
            inner = path.relative_to(top).parts
            if "tests" not in inner and "__pycache__" not in inner and path.is_file():
                yield path


def _digest(connection) -> str:
    """What the migrated database is a function of (see the module docstring)."""
    import django

    digest = hashlib.sha256()

    def add(*values) -> None:
        for value in values:
            digest.update(repr(value).encode())
            digest.update(b"\0")

    add(sys.version_info[:2], django.__version__, connection.vendor, sqlite3.sqlite_version)
    add(sorted((dist.name or "", dist.version) for dist in metadata.distributions()))
    # The keys (secret key, keyrings, blind index): seed data may be sealed or hashed with them.
    add(
        [
            (name, getattr(settings, name))
            for name in dir(settings)
            if name.isupper() and "KEY" in name
        ]
    )
    add(sorted((name, value) for name, value in os.environ.items() if name.startswith("CLL_")))
    for path in _source_files():
        add(str(path.relative_to(ROOT)))
        digest.update(path.read_bytes())
    return digest.hexdigest()[:24]


class _SQLite:
    def __init__(self, connection, key: str):
        self.connection = connection
        self.directory = Path(tempfile.gettempdir()) / f"cll-test-db-{os.getuid()}"
        self.path = self.directory / f"{PREFIX}{key}.sqlite3"

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        self.directory.mkdir(mode=0o700, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield

    def exists(self) -> bool:
        return self.path.exists()

    def restore(self) -> None:
        self.connection.ensure_connection()
        source = sqlite3.connect(self.path)
        try:
            source.backup(self.connection.connection)
        finally:
            source.close()
        # The template's age decides which ones are kept.
        self.path.touch()

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)

    def save(self) -> None:
        partial = self.path.with_suffix(f".{os.getpid()}.partial")
        target = sqlite3.connect(partial)
        try:
            self.connection.connection.backup(target)
        finally:
            target.close()
        partial.replace(self.path)
        old = sorted(self.directory.glob(f"{PREFIX}*.sqlite3"), key=lambda p: p.stat().st_mtime)
        for path in old[:-KEEP]:
            path.unlink(missing_ok=True)
            path.with_suffix(".lock").unlink(missing_ok=True)


class _PostgreSQL:
    def __init__(self, connection, key: str):
        self.connection = connection
        self.name = f"{PREFIX}{key}"
        # A session-level advisory lock held on the maintenance connection while building.
        self.lock_id = int(key[:15], 16)

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        with self.connection._nodb_cursor() as cursor:
            self.cursor = cursor
            cursor.execute("SELECT pg_advisory_lock(%s)", [self.lock_id])
            try:
                yield
            finally:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [self.lock_id])

    def exists(self) -> bool:
        self.cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [self.name])
        return self.cursor.fetchone() is not None

    def _quote(self, name: str) -> str:
        return self.connection.ops.quote_name(name)

    def _touch(self) -> None:
        # The time of last use, which decides the templates kept.
        now = int(time.time())
        self.cursor.execute(f"COMMENT ON DATABASE {self._quote(self.name)} IS '{now}'")

    def restore(self) -> None:
        test_db = self._quote(self.connection.settings_dict["NAME"])
        self.connection.close()
        self.cursor.execute(f"DROP DATABASE {test_db}")
        try:
            self.cursor.execute(f"CREATE DATABASE {test_db} TEMPLATE {self._quote(self.name)}")
        except Exception:
            # Empty again, for migrate.
            self.cursor.execute(f"CREATE DATABASE {test_db}")
            raise
        self._touch()

    def discard(self) -> None:
        with contextlib.suppress(Exception):
            self.cursor.execute(f"DROP DATABASE IF EXISTS {self._quote(self.name)}")

    def save(self) -> None:
        test_db = self._quote(self.connection.settings_dict["NAME"])
        self.connection.close()
        self.cursor.execute(f"CREATE DATABASE {self._quote(self.name)} TEMPLATE {test_db}")
        self._touch()
        self.cursor.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s"
            " ORDER BY coalesce(shobj_description(oid, 'pg_database'), '0')::bigint",
            [PREFIX + "%"],
        )
        old = [row[0] for row in self.cursor.fetchall()]
        for name in old[:-KEEP]:
            # Another run may be copying it right now: then it stays for next time.
            with contextlib.suppress(Exception):
                self.cursor.execute(f"DROP DATABASE IF EXISTS {self._quote(name)}")


_BACKENDS = {"sqlite": _SQLite, "postgresql": _PostgreSQL}


def _as_after_migrate(connection, options) -> None:
    """Leave this process as ``migrate`` would have: the post_migrate receivers have run (they
    find their rows there, and warm the content-type cache) and the connection knows its
    database's features (read once, then cached). A test that runs system checks without
    database access relies on the latter."""
    emit_post_migrate_signal(options["verbosity"], options["interactive"], connection.alias)
    features = connection.features
    for klass in type(features).__mro__:
        for name, value in vars(klass).items():
            if isinstance(value, cached_property):
                with contextlib.suppress(Exception):
                    getattr(features, name)


@contextlib.contextmanager
def migrations_from_template() -> Iterator[None]:
    """While active, ``migrate`` into a test database copies the template (or builds it)."""
    original = migrate.Command.handle

    def handle(self, *args, **options):
        from django.db import connections

        connection = connections[options["database"]]
        backend = _BACKENDS.get(connection.vendor)
        if backend is None:
            return original(self, *args, **options)
        template = backend(connection, _digest(connection))
        with template.lock():
            if template.exists():
                try:
                    template.restore()
                except Exception:
                    # Unreadable (a disk full when it was saved...): built again below.
                    template.discard()
                else:
                    _as_after_migrate(connection, options)
                    return None
            original(self, *args, **options)
            template.save()
        return None

    migrate.Command.handle = handle
    try:
        yield
    finally:
        migrate.Command.handle = original
