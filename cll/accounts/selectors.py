"""Reads of the accounts app."""

from __future__ import annotations

from django.db.models import QuerySet

from cll.accounts.models import LearnerProfile, User
from cll.privacy.models import AuditEntry

PROFILE_ACTIONS = ("profile.create", "profile.update")


def profile_get_for(*, user: User) -> LearnerProfile | None:
    """The signed-in person's own profile (there is no id to tamper with: it is theirs)."""
    return LearnerProfile.objects.filter(user=user).first()


def profile_history_for(user: User) -> QuerySet[AuditEntry]:
    """Changes to this person's profile, newest first: when and which fields, never values."""
    return AuditEntry.objects.filter(subject=user.public_id, action__in=PROFILE_ACTIONS).order_by(
        "-seq"
    )


def children_of(guardian: User) -> QuerySet[User]:
    """The child accounts this guardian is responsible for."""
    return User.objects.filter(
        guardianships__guardian=guardian, guardianships__status="active"
    ).order_by("date_joined")


def child_get_for(*, guardian: User, public_id) -> User | None:
    """One of this guardian's children by public id; None for anyone else's (callers 404)."""
    return children_of(guardian).filter(public_id=public_id).first()


def account_for_email(email: str) -> User | None:
    """The account whose login address is ``email`` (case and surrounding spaces ignored), if
    any. Callers decide when asking is safe: never where the answer would tell a stranger
    whether an address has an account."""
    return User.objects.filter(email__iexact=email.strip()).first()
