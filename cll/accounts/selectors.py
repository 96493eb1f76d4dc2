"""Reads of the accounts app."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import Any

from allauth.socialaccount.models import SocialAccount
from django.db.models import Exists, OuterRef, QuerySet

from cll.accounts.models import PROFILE_FIELDS, Guardianship, LearnerProfile, User
from cll.core.prepared import PreparedQuery
from cll.privacy.models import AuditEntry

PROFILE_ACTIONS = ("profile.create", "profile.update")
# The profile page lists this many of the latest changes.
PROFILE_HISTORY_SHOWN = 50

# The reads of the profile page, every request: their SQL built once (cll/core/prepared.py).
_profile_of = PreparedQuery(lambda user_id: LearnerProfile.objects.filter(user=user_id), 0)
_history_of = PreparedQuery(
    lambda subject: _profile_history(subject).values_list("at", "fields")[:PROFILE_HISTORY_SHOWN],
    uuid.UUID(int=1),
)
_social_accounts_of = PreparedQuery(
    lambda user_id: SocialAccount.objects.filter(user=user_id).order_by("provider", "pk"), 0
)
# The profile's values, and whether the person has linked accounts and children: most people
# have neither, and then the page needs no read of either list.
_profile_page_of = PreparedQuery(
    lambda user_id: LearnerProfile.objects.filter(user=user_id).values_list(
        *PROFILE_FIELDS,
        Exists(SocialAccount.objects.filter(user=OuterRef("user"))),
        Exists(
            Guardianship.objects.filter(
                guardian=OuterRef("user"), status=Guardianship.Status.ACTIVE
            )
        ),
    ),
    0,
)


def profile_get_for(*, user: User) -> LearnerProfile | None:
    """The signed-in person's own profile (there is no id to tamper with: it is theirs)."""
    return _profile_of.first(user.pk)


@dataclass(frozen=True)
class ProfilePage:
    """What the profile page shows of the signed-in person besides their history."""

    # The profile as the form shows it, {field: value} for PROFILE_FIELDS (decrypted; no
    # model instance made), or None without a profile.
    values: dict[str, Any] | None
    social_accounts: list[SocialAccount]  # as social_accounts_of
    children: list[User]  # as children_list_of


def profile_page_for(*, user: User) -> ProfilePage:
    """The signed-in person's profile values, linked accounts and children (as
    ``social_accounts_of`` and ``children_list_of`` give them): one read for whoever has
    neither linked accounts nor children, as the profile's read says whether they exist."""
    rows = _profile_page_of.rows(user.pk)
    if not rows:  # no profile: nothing says what else exists
        return ProfilePage(None, social_accounts_of(user), children_list_of(user))
    *values, has_social_accounts, has_children = rows[0]
    return ProfilePage(
        values=dict(zip(PROFILE_FIELDS, values, strict=True)),
        social_accounts=social_accounts_of(user) if has_social_accounts else [],
        children=children_list_of(user) if has_children else [],
    )


def profile_history_for(user: User) -> QuerySet[AuditEntry]:
    """Changes to this person's profile, newest first: when and which fields, never values."""
    return _profile_history(user.public_id)


def profile_history_latest_for(user: User) -> list[tuple[datetime.datetime, list[str]]]:
    """The latest changes to this person's profile (``profile_history_for``), as their profile
    page lists them: when, and the names of the fields changed."""
    return _history_of.rows(user.public_id)


def _profile_history(subject: uuid.UUID) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(subject=subject, action__in=PROFILE_ACTIONS).order_by("-seq")


def social_accounts_of(user: User) -> list[SocialAccount]:
    """The sign-in providers (allauth.socialaccount) linked to this account, by provider."""
    return _social_accounts_of.rows(user.pk)


def children_of(guardian: User | int) -> QuerySet[User]:
    """The child accounts this guardian (or guardian's id) is responsible for."""
    return User.objects.filter(
        guardianships__guardian=guardian, guardianships__status="active"
    ).order_by("date_joined")


_children_of = PreparedQuery(children_of, 0)


def children_list_of(guardian: User) -> list[User]:
    """``children_of``, read as the profile page does every request."""
    return _children_of.rows(guardian.pk)


def child_get_for(*, guardian: User, public_id) -> User | None:
    """One of this guardian's children by public id; None for anyone else's (callers 404)."""
    return children_of(guardian).filter(public_id=public_id).first()


def account_for_email(email: str) -> User | None:
    """The account whose login address is ``email`` (case and surrounding spaces ignored), if
    any. Callers decide when asking is safe: never where the answer would tell a stranger
    whether an address has an account."""
    return User.objects.filter(email__iexact=email.strip()).first()
