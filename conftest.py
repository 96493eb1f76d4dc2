"""Personas shared by every test (DESIGN.md §5): built once per test that asks for them."""

from __future__ import annotations

import importlib
from contextlib import contextmanager

import pytest
from django.contrib.auth.models import Group
from django.core.management.commands import flush

from cll.core import encryption as crypto
from cll.privacy.datamap import Role

# The SMTP server fixture (aiosmtpd on loopback) is available to every test.
pytest_plugins = ["cll.lib.testing.smtp"]

PASSWORD = "correct horse battery staple"


@contextmanager
def _audit_triggers_lifted(database: str):
    """The ledger's append-only triggers, removed for one flush and put back right after."""
    from django.db import connections

    triggers = importlib.import_module("cll.privacy.migrations.0002_audit_append_only")
    # 0004 narrows the delete trigger to entries behind a retention seal: put back that one.
    sealed = importlib.import_module("cll.privacy.migrations.0004_audit_seal")
    connection = connections[database]
    if connection.vendor == "sqlite":
        lift, restore = triggers.SQLITE_REVERSE, triggers.SQLITE + sealed.SQLITE
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
    """Let the flush that ends each transactional test empty the append-only audit ledger.

    Only ``manage.py flush`` (which pytest-django runs after a transactional test) gets past
    the triggers; every other UPDATE, DELETE or TRUNCATE in the suite still meets them, so the
    tests that prove the ledger refuses changes keep proving it.
    """
    original = flush.Command.handle

    def handle(self, **options):
        with _audit_triggers_lifted(options["database"]):
            return original(self, **options)

    flush.Command.handle = handle
    yield
    flush.Command.handle = original


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

    from cll.core import pagecache

    cache.clear()
    pagecache._forget_version()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    # A request to /en/ leaves English active in the thread: the next test's reverse() would
    # build /en/ URLs. Back to the default language (French) after every test.
    from django.utils import translation

    yield
    translation.deactivate()


def _user(django_user_model, email: str, *roles: str, **extra):
    user = django_user_model.objects.create_user(email=email, password=PASSWORD, **extra)
    if roles:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        # get_or_create: a transactional test's flush empties the table the migration filled.
        user.groups.set([Group.objects.get_or_create(name=role)[0] for role in roles])
    return user


def staff_login(client, user) -> None:
    """Sign a staff member in as with a password and a second factor: staff pages require an
    MFA-authenticated session (cll/accounts/staff.py). The full flow is tested in
    cll/accounts/tests/test_staff_mfa.py."""
    import time

    from allauth.account.internal.flows.login import (
        _AUTHENTICATION_METHODS_USER_SESSION_KEY,
        AUTHENTICATION_METHODS_SESSION_KEY,
    )
    from allauth.account.internal.userkit import user_id_to_str
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, generate_totp_secret())
    client.force_login(user)
    session = client.session
    now = time.time()
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": now},
        {"method": "mfa", "at": now, "type": "totp"},
    ]
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = user_id_to_str(user)
    session.save()


@pytest.fixture
def admin_client(client, admin_user):
    """pytest-django's admin client, signed in with a second factor (see ``staff_login``)."""
    staff_login(client, admin_user)
    return client


@pytest.fixture
def alice(db, django_user_model):
    """A learner."""
    return _user(django_user_model, "alice@example.org")


@pytest.fixture
def bob(db, django_user_model):
    """A teacher."""
    return _user(django_user_model, "bob@example.org", Role.TEACHER)


@pytest.fixture
def charlie(db, django_user_model):
    """A stranger: a learner with no relation to anyone else's data."""
    return _user(django_user_model, "charlie@example.org")


@pytest.fixture
def dora(db, django_user_model):
    """The privacy officer."""
    return _user(django_user_model, "dora@example.org", Role.PRIVACY_OFFICER)


@pytest.fixture
def gina(db, django_user_model):
    """A guardian (parent) of a child learner."""
    return _user(django_user_model, "gina@example.org")
