"""Personas shared by every test (DESIGN.md §5), built once per test process, and what keeps the
suite fast (docs/benchmarks.md, "Test suite").

The personas are rows committed once in each worker's test database; a test asks for them by
name (``def test_it_...(client, alice, dora)``) and gets them fetched afresh. Each test runs in a
transaction rolled back at its end, so what it does to a persona is undone; a test sees exactly
the personas it asks for (the others are deleted inside its transaction), as when each was built
for it. A transactional test's flush empties the database: the personas are built again after it.
"""

from __future__ import annotations

import gc
import importlib
import os
import sys
from contextlib import contextmanager, nullcontext

# Compiled bytecode is cached (in __pycache__, git-ignored) even where the shell sets
# PYTHONDONTWRITEBYTECODE: without it every xdist worker, and every `manage.py` subprocess of a
# test, compiles Django, allauth and the project from source again, seconds each.
if os.environ.pop("PYTHONDONTWRITEBYTECODE", None) is not None:
    sys.dont_write_bytecode = False

import pytest
from django.contrib.auth.models import Group
from django.core.management.commands import flush
from django.test.signals import template_rendered
from hypothesis import settings as hypothesis_settings

from cll.core import encryption as crypto
from cll.core import jinja, longlived
from cll.privacy.datamap import Role
from tests import db_template

# The SMTP server (aiosmtpd) and the ClamAV daemon (clamd) fixtures, on loopback, are available
# to every test.
pytest_plugins = ["cll.lib.testing.smtp", "cll.lib.testing.clamd"]

PASSWORD = "correct horse battery staple"

# -- Jinja2 pages seen by the test client ----------------------------------------------------
# Django instruments its own template language in tests so that response.context and
# response.templates work; the same for the project's Jinja2 pages (cll/core/jinja.py).


def _instrumented_jinja_render(self, values):
    template_rendered.send(sender=self, template=self, context=values)
    return _jinja_render(self, values)


_jinja_render = jinja.Template._render
jinja.Template._render = _instrumented_jinja_render

# -- Hypothesis -------------------------------------------------------------------------------
# No deadline: a first example that also warms a cache is not a failure (no timed asserts,
# CONTRIBUTING.md). On top of the profile Hypothesis chose (its "ci" one under CI=true).
# `pytest --hypothesis-profile=thorough` runs ten times the examples.
hypothesis_settings.register_profile("cll", parent=hypothesis_settings.default, deadline=None)
hypothesis_settings.register_profile(
    "thorough", parent=hypothesis_settings.get_profile("cll"), max_examples=1000
)
hypothesis_settings.load_profile("cll")


def hypothesis_examples(share: float) -> int:
    """A share of the profile's example count (100, or 1,000 with the thorough profile), for a
    test whose examples are expensive or cheap."""
    return max(1, round(hypothesis_settings.default.max_examples * share))


# -- Speed ------------------------------------------------------------------------------------


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef, request):
    # The test database is copied from a migrated template instead of migrated in each worker.
    if fixturedef.argname != "django_db_setup":
        return (yield)
    with db_template.migrations_from_template() if db_template.enabled() else nullcontext():
        result = yield
    # Run before the test databases are dropped (finalizers run last added, first).
    request.addfinalizer(_stray_connections_closed)
    return result


def _stray_connections_closed() -> None:
    # On PostgreSQL the live chat's database work runs on event loops' thread pools, each thread
    # with its own persistent connection (cll/chat/consumers.py). When a test's loop closes, its
    # threads end, but their connections are only closed once the collector frees them: with
    # collections made rare (below), not before the end, where PostgreSQL then refused to drop a
    # test database "being accessed by other users" (a warning in every CI run).
    gc.collect()


@pytest.fixture(scope="session", autouse=True)
def _no_server_freezing():
    """Tests that load the WSGI or ASGI application (the erasure's start-up checks, the live
    chat's server) must not freeze the suite's objects as a server's worker does at start
    (``cll/core/longlived.py``): what a test still holds then and drops later, such as the live
    chat's database connections, would never be freed (``_stray_connections_closed``)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(longlived, "freeze_alive", lambda: None)
        yield


def pytest_collection_finish(session):
    # What is alive after collection (Django, the URLconf, the test modules) stays to the end:
    # out of the cyclic collector's sight, and collections of young objects made rarer.
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 100)


# -- The audit ledger and transactional tests -------------------------------------------------


@contextmanager
def _audit_triggers_lifted(database: str):
    """The ledger's append-only triggers, removed for one flush and put back right after."""
    from django.db import connections

    triggers = importlib.import_module("cll.privacy.migrations.0002_audit_append_only")
    # 0004 narrows the delete trigger to entries behind a retention seal: put back that one.
    sealed = importlib.import_module("cll.privacy.migrations.0004_audit_seal")
    # 0007 lets the sequencer chain an entry once (and refuses deleting an unchained one).
    chained = importlib.import_module("cll.privacy.migrations.0007_audit_sequencer")
    connection = connections[database]
    if connection.vendor == "sqlite":
        lift, restore = triggers.SQLITE_REVERSE, triggers.SQLITE + sealed.SQLITE + chained.SQLITE
    else:
        lift = ["ALTER TABLE privacy_auditentry DISABLE TRIGGER USER"]
        restore = ["ALTER TABLE privacy_auditentry ENABLE TRIGGER USER"]
    with connection.cursor() as cursor:
        for statement in lift:
            cursor.execute(statement)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for statement in restore:
                cursor.execute(statement)


@pytest.fixture(scope="session", autouse=True)
def _flushable_audit_ledger():
    """Let the flush that ends each transactional test empty the append-only audit ledger, and
    build the personas again in the emptied database.

    Only ``manage.py flush`` (which pytest-django runs after a transactional test) gets past
    the triggers; every other UPDATE, DELETE or TRUNCATE in the suite still meets them, so the
    tests that prove the ledger refuses changes keep proving it.
    """
    original = flush.Command.handle

    def handle(self, **options):
        with _audit_triggers_lifted(options["database"]):
            result = original(self, **options)
        if _cast:
            _cast_build()
        return result

    flush.Command.handle = handle
    yield
    flush.Command.handle = original


# -- Caches -----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fresh_key_cache():
    # Unwrapped data keys cached by one test would outlive the rows its rollback removes.
    crypto.data_key_cache_clear()
    yield
    crypto.data_key_cache_clear()


@pytest.fixture(autouse=True)
def _empty_cache():
    # Cached pages and counters of one test must not answer the next one.
    from django.core.cache import cache

    from cll.core import fragments, pagecache

    cache.clear()
    pagecache._forget_version()
    fragments.fragments_clear()
    yield
    cache.clear()


@pytest.fixture
def content_version_read_once(monkeypatch):
    """The public-content version is read from the database at most once a second
    (``pagecache.VERSION_TTL``): on a busy machine one of two measured requests would pay for
    that read and the other not. Read it once per test, so query counts compare the pages."""
    from cll.core import pagecache

    monkeypatch.setattr(pagecache, "_version", (float("-inf"), ""))
    monkeypatch.setattr(pagecache, "VERSION_TTL", float("inf"))


@pytest.fixture(autouse=True)
def _default_language():
    # A request to /en/ leaves English active in the thread: the next test's reverse() would
    # build /en/ URLs. Back to the default language (French) after every test.
    from django.utils import translation

    yield
    translation.deactivate()


# -- Personas ---------------------------------------------------------------------------------

# name: (e-mail, staff roles, who they are)
PERSONAS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "alice": ("alice@example.org", (), "A learner."),
    "bob": ("bob@example.org", (Role.TEACHER,), "A teacher."),
    "charlie": (
        "charlie@example.org",
        (),
        "A stranger: a learner with no relation to anyone else's data.",
    ),
    "dora": ("dora@example.org", (Role.PRIVACY_OFFICER,), "The privacy officer."),
    "gina": ("gina@example.org", (), "A guardian (parent) of a child learner."),
    "mallory": (
        "mallory@example.org",
        (Role.MARKETING,),
        "A Marketing staff member: no access to individual requests.",
    ),
    "mark": ("mark@example.org", (Role.MARKETING,), "A Marketing staff member (analytics, tags)."),
    "adam": ("adam@example.org", (Role.ADMINISTRATOR,), "An administrator."),
    "bill": ("bill@example.org", (Role.BILLING,), "A Billing staff member."),
    "cecile": ("cecile@example.org", (Role.CUSTOMER_SERVICE,), "A Customer service member."),
}

# The personas' primary keys in this process's test database, once built.
_cast: dict[str, int] = {}

# The fixtures through which a test uses the database (as pytest-django reads them).
_DATABASE_FIXTURES = frozenset(
    {
        "db",
        "transactional_db",
        "live_server",
        "django_db_reset_sequences",
        "django_db_serialized_rollback",
    }
)


def _uses_database(item) -> bool:
    return bool(item.get_closest_marker("django_db")) or not _DATABASE_FIXTURES.isdisjoint(
        getattr(item, "fixturenames", ())
    )


def _user(django_user_model, email: str, *roles: str, **extra):
    user = django_user_model.objects.create_user(email=email, password=PASSWORD, **extra)
    if roles:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        # get_or_create: a transactional test's flush empties the table the migration filled.
        user.groups.set([Group.objects.get_or_create(name=role)[0] for role in roles])
    return user


def _cast_build() -> None:
    from django.contrib.auth import get_user_model

    for name, (email, roles, _who) in PERSONAS.items():
        _cast[name] = _user(get_user_model(), email, *roles).pk


def _cast_remove(pks: list[int]) -> None:
    """Delete personas as built: a user row and its groups (the ORM's delete would first look
    for rows in every table that refers to a user, dozens of queries per test)."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    user_model = get_user_model()
    quote = connection.ops.quote_name
    marks = ", ".join(["%s"] * len(pks))
    tables = [
        (field.m2m_db_table(), field.m2m_column_name()) for field in user_model._meta.many_to_many
    ]
    tables.append((user_model._meta.db_table, user_model._meta.pk.column))
    with connection.cursor() as cursor:
        for table, column in tables:
            # Names from the models, values bound.
            cursor.execute(f"DELETE FROM {quote(table)} WHERE {quote(column)} IN ({marks})", pks)  # noqa: S608


@pytest.fixture(scope="session", autouse=True)
def _cast_built(request, django_db_blocker):
    """The personas, committed once per test process before the first test that uses the
    database opens its transaction (session fixtures are set up before function ones)."""
    if not any(_uses_database(item) for item in request.session.items):
        return
    request.getfixturevalue("django_db_setup")
    with django_db_blocker.unblock():
        _cast_build()


@pytest.fixture(autouse=True)
def _cast_as_asked(request):
    """A test sees the personas it asks for (directly or through its fixtures), and only those."""
    if not _cast or not _uses_database(request.node):
        return
    # Inside the test's transaction (or, for a transactional test, before its flush).
    request.getfixturevalue("_django_db_helper")
    absent = [pk for name, pk in _cast.items() if name not in request.fixturenames]
    if absent:
        _cast_remove(absent)


def _persona(name: str):
    email, roles, who = PERSONAS[name]

    def persona(db, django_user_model):
        try:
            return django_user_model.objects.get(pk=_cast[name])
        except (KeyError, django_user_model.DoesNotExist):
            # Asked for at run time (request.getfixturevalue): built for this test alone.
            return _user(django_user_model, email, *roles)

    persona.__doc__ = who
    return pytest.fixture(persona, name=name)


alice = _persona("alice")
bob = _persona("bob")
charlie = _persona("charlie")
dora = _persona("dora")
gina = _persona("gina")
mallory = _persona("mallory")
mark = _persona("mark")
adam = _persona("adam")
bill = _persona("bill")
cecile = _persona("cecile")


def _login_with(client, user, methods: list[dict]) -> None:
    # allauth's record of how the session's person proved who they are (sign-in, second
    # factor, re-authentication): what its views and ours (cll/accounts/staff.py) read.
    from allauth.account.internal.flows.login import (
        _AUTHENTICATION_METHODS_USER_SESSION_KEY,
        AUTHENTICATION_METHODS_SESSION_KEY,
    )
    from allauth.account.internal.userkit import user_id_to_str

    client.force_login(user)
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = methods
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = user_id_to_str(user)
    session.save()


def staff_login(client, user) -> None:
    """Sign a staff member in as with a password and a second factor: staff pages require an
    MFA-authenticated session (cll/accounts/staff.py). The full flow is tested in
    cll/accounts/tests/test_staff_mfa.py."""
    import time

    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, generate_totp_secret())
    now = time.time()
    _login_with(
        client,
        user,
        [{"method": "password", "at": now}, {"method": "mfa", "at": now, "type": "totp"}],
    )


def status_text(page: str) -> str:
    """The text of a page's status region (the confirmations of Django's messages, shown in a
    ``role="status"`` box by templates/base.html), or "" when the page has none. (Other live
    regions, such as the chat widget's, are not that box.)"""
    import html

    start = page.find('class="messages" role="status"')
    if start == -1:
        return ""
    return html.unescape(page[start : page.index("</div>", start)])


def reauthenticated_login(client, user) -> None:
    """Sign someone in as with a password re-typed just now: pages that ask for a recent
    re-authentication answer with their own checks instead of a redirect."""
    import time

    _login_with(client, user, [{"method": "password", "at": time.time(), "reauthenticated": True}])


@pytest.fixture
def admin_client(client, admin_user):
    """pytest-django's admin client, signed in with a second factor (see ``staff_login``)."""
    staff_login(client, admin_user)
    return client
