"""Account retention (cll/accounts/retention.py): inactive accounts are warned, then erased
unless they come back; unconfirmed registrations are erased; staff are never touched."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from cll.accounts import retention as accounts_retention
from cll.accounts.models import User
from cll.core.models import OutboxEmail
from cll.privacy.models import AuditEntry, RetentionNotice
from conftest import PASSWORD, _user

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 1, 5, 10, 0, tzinfo=dt.UTC)
WARN_AT = T0 + dt.timedelta(days=settings.INACTIVE_ACCOUNT_DAYS - settings.INACTIVE_WARNING_DAYS)
ERASE_AT = T0 + dt.timedelta(days=settings.INACTIVE_ACCOUNT_DAYS)


@pytest.fixture
def erased(monkeypatch) -> list:
    """The people the retention rules hand to the erasure engine, in order.

    The real ``cll.erasure.services.erasure_execute`` is used when it exists; until it does
    (it is written in parallel), the one call is replaced by the accounts app's own erasure.
    """
    calls: list = []
    original = accounts_retention._erase

    def recording(user, *, reason: str) -> None:
        calls.append((user.public_id, reason))
        try:
            from cll.erasure.services import erasure_execute  # noqa: F401
        except ImportError:
            from cll.erasure.services import account_delete

            account_delete(user=user)
            return
        original(user, reason=reason)

    monkeypatch.setattr(accounts_retention, "_erase", recording)
    return calls


def _prune() -> int:
    return accounts_retention.prune_inactive_accounts(dry_run=False)


@pytest.fixture
def idle(django_user_model):
    with time_machine.travel(T0, tick=False):
        user = _user(django_user_model, "idle@example.org")
        user.last_login = timezone.now()
        user.save(update_fields=["last_login"])
    return user


def test_it_warns_an_inactive_account_by_email_before_erasing_it(idle, erased):
    with time_machine.travel(WARN_AT - dt.timedelta(days=1), tick=False):
        assert _prune() == 0
    assert not RetentionNotice.objects.exists()

    with time_machine.travel(WARN_AT + dt.timedelta(hours=1), tick=False):
        assert _prune() == 0
    notice = RetentionNotice.objects.get(subject=idle.public_id)
    assert notice.due_at == ERASE_AT + dt.timedelta(hours=1)
    email = OutboxEmail.objects.get(person=idle.public_id)
    assert email.to_address == "idle@example.org"
    assert email.kind == "emails/retention_inactive_account"
    assert "/login/" in email.text_body
    assert AuditEntry.objects.filter(action="retention.warn", subject=idle.public_id).exists()

    # A second run the next day does not warn again.
    with time_machine.travel(WARN_AT + dt.timedelta(days=1), tick=False):
        _prune()
    assert OutboxEmail.objects.filter(person=idle.public_id).count() == 1
    assert erased == []

    with time_machine.travel(ERASE_AT + dt.timedelta(days=1), tick=False):
        assert _prune() == 1
    assert erased == [(idle.public_id, accounts_retention.INACTIVE_REASON)]
    assert not RetentionNotice.objects.exists()

    # Erased people are not warned or erased again.
    with time_machine.travel(ERASE_AT + dt.timedelta(days=2), tick=False):
        assert _prune() == 0
    assert len(erased) == 1


def test_it_keeps_an_account_whose_owner_signed_in_after_the_warning(idle, erased):
    with time_machine.travel(WARN_AT + dt.timedelta(hours=1), tick=False):
        _prune()
    with time_machine.travel(WARN_AT + dt.timedelta(days=3), tick=False):
        User.objects.filter(pk=idle.pk).update(last_login=timezone.now())
    with time_machine.travel(ERASE_AT + dt.timedelta(days=1), tick=False):
        assert _prune() == 0
    assert erased == []
    assert not RetentionNotice.objects.exists()
    assert User.objects.get(pk=idle.pk).is_active


def test_it_cancels_the_warning_as_soon_as_the_owner_comes_back(idle, erased):
    with time_machine.travel(WARN_AT + dt.timedelta(hours=1), tick=False):
        _prune()
    with time_machine.travel(WARN_AT + dt.timedelta(days=2), tick=False):
        User.objects.filter(pk=idle.pk).update(last_login=timezone.now())
        _prune()
    assert not RetentionNotice.objects.exists()


def test_it_never_erases_staff_accounts_for_inactivity(dora, erased):
    User.objects.filter(pk=dora.pk).update(date_joined=T0, last_login=T0)
    with time_machine.travel(ERASE_AT + dt.timedelta(days=400), tick=False):
        _prune()
        _prune()
    assert erased == []
    assert not OutboxEmail.objects.filter(person=dora.public_id).exists()


def test_it_counts_in_a_dry_run_without_erasing(idle, erased):
    with time_machine.travel(WARN_AT + dt.timedelta(hours=1), tick=False):
        _prune()
    with time_machine.travel(ERASE_AT + dt.timedelta(days=1), tick=False):
        out = StringIO()
        call_command("prune_inactive_accounts", "--dry-run", stdout=out)
        assert "1 inactive accounts erased would go" in out.getvalue()
    assert erased == []
    assert RetentionNotice.objects.filter(subject=idle.public_id).exists()


def test_it_writes_the_warning_in_the_persons_language_when_known(idle):
    idle.language = "nl"
    with time_machine.travel(WARN_AT + dt.timedelta(hours=1), tick=False):
        accounts_retention.inactive_account_warn(user=idle, now=timezone.now())
    email = OutboxEmail.objects.get(person=idle.public_id)
    assert email.headers["Content-Language"] == "nl"
    assert "/nl/" in email.text_body


def _registration(django_user_model, email: str, *, verified: bool) -> User:
    user = django_user_model.objects.create_user(email=email, password=PASSWORD)
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=verified)
    return user


def test_it_erases_registrations_never_confirmed_after_the_period(django_user_model, erased):
    with time_machine.travel(T0, tick=False):
        pending = _registration(django_user_model, "pending@example.org", verified=False)
        confirmed = _registration(django_user_model, "confirmed@example.org", verified=True)
    days = settings.UNCONFIRMED_REGISTRATION_DAYS
    with time_machine.travel(T0 + dt.timedelta(days=days - 1), tick=False):
        assert accounts_retention.prune_unconfirmed_registrations(dry_run=False) == 0
    with time_machine.travel(T0 + dt.timedelta(days=days, hours=1), tick=False):
        assert accounts_retention.prune_unconfirmed_registrations(dry_run=True) == 1
        assert erased == []
        out = StringIO()
        call_command("prune_unconfirmed_registrations", stdout=out)
    assert "1 unconfirmed registrations erased went" in out.getvalue()
    assert erased == [(pending.public_id, accounts_retention.UNCONFIRMED_REASON)]
    assert confirmed.public_id not in [public_id for public_id, _reason in erased]
