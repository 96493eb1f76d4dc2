"""Retention of accounts: the rules and the pruners that apply them (see cll/privacy/retention.py).

- **inactive accounts**: nobody signed in for ``INACTIVE_ACCOUNT_DAYS`` (3 years by default):
  the person is warned by e-mail ``INACTIVE_WARNING_DAYS`` before (a ``RetentionNotice``), then
  erased through the erasure engine unless they signed in meanwhile. Staff accounts are never
  erased this way (their end is decided by their employer); children managed by a guardian
  neither (they never sign in themselves; their data goes with the guardian's decision);
- **unconfirmed registrations**: the e-mail address was never confirmed (so the person could
  never sign in) and the registration is older than ``UNCONFIRMED_REGISTRATION_DAYS``: erased;
- **parental consent requests** and the **"my sessions" list**: rules ending with an event,
  applied daily.

Accounts already erased (non-routable ``@invalid`` address, destroyed data key) are left alone.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from allauth.account.models import EmailAddress
from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import format_lazy
from django.utils.translation import ngettext_lazy

from cll.accounts.models import Guardianship, ParentalConsentRequest, User
from cll.accounts.services import parental_consent_requests_purge
from cll.core.models import DataKey
from cll.core.outbox import email_queue_template
from cll.privacy.datamap import RETENTION, retention_rule
from cll.privacy.eraser import person_erase
from cll.privacy.models import RetentionNotice
from cll.privacy.retention import counted_without_change, prune_user_sessions, pruner
from cll.privacy.services import audit_record, person_language

logger = logging.getLogger(__name__)

INACTIVE_ACCOUNT = retention_rule(
    "inactive-account",
    format_lazy(
        "{erased} {warned}",
        erased=format_lazy(
            ngettext_lazy(
                "An account nobody signed in to for {days} day is erased.",
                "An account nobody signed in to for {days} days is erased.",
                settings.INACTIVE_ACCOUNT_DAYS,
            ),
            days=settings.INACTIVE_ACCOUNT_DAYS,
        ),
        warned=format_lazy(
            ngettext_lazy(
                "The person is warned by e-mail {days} day before and keeps the account by "
                "signing in. Staff accounts and children's accounts managed by a parent or "
                "guardian are excluded.",
                "The person is warned by e-mail {days} days before and keeps the account by "
                "signing in. Staff accounts and children's accounts managed by a parent or "
                "guardian are excluded.",
                settings.INACTIVE_WARNING_DAYS,
            ),
            days=settings.INACTIVE_WARNING_DAYS,
        ),
    ),
    days=settings.INACTIVE_ACCOUNT_DAYS,
)
UNCONFIRMED_REGISTRATION = retention_rule(
    "unconfirmed-registration",
    format_lazy(
        ngettext_lazy(
            "A registration whose e-mail address was never confirmed is erased {days} day after "
            "it was made.",
            "A registration whose e-mail address was never confirmed is erased {days} days "
            "after it was made.",
            settings.UNCONFIRMED_REGISTRATION_DAYS,
        ),
        days=settings.UNCONFIRMED_REGISTRATION_DAYS,
    ),
    days=settings.UNCONFIRMED_REGISTRATION_DAYS,
)

# Why the erasure engine erased the person, as written in its audit entry.
INACTIVE_REASON = "retention.inactive"
UNCONFIRMED_REASON = "retention.unconfirmed"


def _erase(user: User, *, reason: str) -> None:
    person_erase(subject=user, reason=reason)


def _erasable_accounts() -> QuerySet[User]:
    """Accounts a retention rule may erase: not staff, not already erased."""
    shredded = DataKey.objects.filter(subject=OuterRef("public_id"), destroyed_at__isnull=False)
    return (
        User.objects.filter(is_staff=False, is_superuser=False)
        .exclude(email__endswith="@invalid")
        .exclude(Exists(shredded))
    )


def _last_seen() -> Coalesce:
    # Never signed in: the registration date counts as the last sign of life.
    return Coalesce(F("last_login"), F("date_joined"))


# -- Inactive accounts --------------------------------------------------------------------------


def inactive_accounts_to_warn(*, now: datetime) -> QuerySet[User]:
    """Accounts idle long enough to be warned, with no notice since they were last seen."""
    warn_before = now - timedelta(
        days=settings.INACTIVE_ACCOUNT_DAYS - settings.INACTIVE_WARNING_DAYS
    )
    children = Guardianship.objects.filter(child=OuterRef("pk"), status=Guardianship.Status.ACTIVE)
    noticed = RetentionNotice.objects.filter(subject=OuterRef("public_id"), rule=INACTIVE_ACCOUNT)
    return (
        _erasable_accounts()
        .annotate(seen=_last_seen())
        .filter(seen__lt=warn_before)
        .exclude(Exists(children))
        .exclude(Exists(noticed))
    )


def inactive_account_warn(*, user: User, now: datetime) -> None:
    """E-mail the warning (outbox) and record the notice, in one transaction."""
    language = person_language(user)
    seen = user.last_login or user.date_joined
    due_at = max(
        now + timedelta(days=settings.INACTIVE_WARNING_DAYS),
        seen + timedelta(days=settings.INACTIVE_ACCOUNT_DAYS),
    )
    with transaction.atomic():
        notice = RetentionNotice.objects.create(
            subject=user.public_id, rule=INACTIVE_ACCOUNT, warned_at=now, due_at=due_at
        )
        email_queue_template(
            to=user.email,
            template_prefix="emails/retention_inactive_account",
            context={"due_at": due_at, "login_path": _login_path(language)},
            language=language,
            subject_person=user.public_id,
        )
        audit_record(
            subject=user.public_id,
            action="retention.warn",
            target=notice,
            detail={"rule": INACTIVE_ACCOUNT},
        )


def _login_path(language: str) -> str:

    with translation.override(language):
        return reverse("account_login")


@pruner(INACTIVE_ACCOUNT)
def prune_inactive_accounts(*, dry_run: bool = False) -> int:
    """Warns the accounts that reach the warning date (e-mail through the outbox), cancels the
    warnings of people who signed in since, and erases (erasure engine) the accounts whose
    warning fell due while nobody signed in. Counts the accounts erased."""
    now = timezone.now()
    notices = RetentionNotice.objects.filter(rule=INACTIVE_ACCOUNT)
    users = {
        user.public_id: user
        for user in _erasable_accounts().filter(
            public_id__in=notices.filter(due_at__lte=now).values("subject")
        )
    }
    erased = 0
    for notice in notices.filter(due_at__lte=now).order_by("due_at"):
        user = users.get(notice.subject)
        came_back = user is not None and user.last_login and user.last_login > notice.warned_at
        if user is None or came_back:
            # Erased another way, turned staff, or signed in again: the warning is void.
            if not dry_run:
                notice.delete()
            continue
        erased += 1
        if dry_run:
            continue
        with transaction.atomic():
            _erase(user, reason=INACTIVE_REASON)
            RetentionNotice.objects.filter(pk=notice.pk).delete()
    if dry_run:
        return erased
    # People who came back before the due date: their warning is cancelled at once.
    came_back = User.objects.filter(
        public_id=OuterRef("subject"), last_login__gt=OuterRef("warned_at")
    )
    notices.filter(due_at__gt=now).filter(Exists(came_back)).delete()
    for user in inactive_accounts_to_warn(now=now).iterator():
        try:
            inactive_account_warn(user=user, now=now)
        except Exception:
            # A malformed address must not stop the others; the next run tries again.
            logger.exception("Retention: could not warn account %s.", user.public_id)
    return erased


# -- Unconfirmed registrations ------------------------------------------------------------------


def unconfirmed_registrations(*, now: datetime) -> QuerySet[User]:
    """Accounts with an e-mail address never confirmed, none confirmed, never signed in, made
    before the rule's period."""

    before = now - timedelta(days=RETENTION[UNCONFIRMED_REGISTRATION].days)
    addresses = EmailAddress.objects.filter(user=OuterRef("pk"))
    return (
        _erasable_accounts()
        .filter(date_joined__lt=before, last_login__isnull=True)
        .filter(Exists(addresses.filter(verified=False)))
        .exclude(Exists(addresses.filter(verified=True)))
    )


@pruner(UNCONFIRMED_REGISTRATION)
def prune_unconfirmed_registrations(*, dry_run: bool = False) -> int:
    """Erases (erasure engine) the accounts whose e-mail address was never confirmed."""
    accounts = list(unconfirmed_registrations(now=timezone.now()))
    if dry_run:
        return len(accounts)
    for user in accounts:
        with transaction.atomic():
            _erase(user, reason=UNCONFIRMED_REASON)
    return len(accounts)


# -- Rules that end with an event ---------------------------------------------------------------


@pruner("parental-consent-request")
def prune_parental_consent_requests(*, dry_run: bool = False) -> int:
    """Deletes the parental consent requests past their link's expiry and destroys their keys."""
    if dry_run:
        return ParentalConsentRequest.objects.filter(expires_at__lte=timezone.now()).count()
    return parental_consent_requests_purge()


@pruner("user-session")
def prune_ended_user_sessions(*, dry_run: bool = False) -> int:
    """Deletes the rows of the "my sessions" list whose sign-in session has ended."""

    if not apps.is_installed("allauth.usersessions"):
        return 0
    UserSession = apps.get_model("usersessions", "UserSession")
    if dry_run:
        return counted_without_change(prune_user_sessions, UserSession.objects.count)
    return prune_user_sessions()
