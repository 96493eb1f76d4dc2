"""Writes of the accounts app."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from cll.accounts.forms import PROFILE_FIELDS
from cll.accounts.models import LearnerProfile, User
from cll.privacy.services import audit_record


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    return {
        name: (data.get(name) if name == "birth_date" else data.get(name) or "")
        for name in PROFILE_FIELDS
    }


def profile_create(*, user: User, data: dict[str, Any]) -> LearnerProfile:
    """Create the learner profile of a new account (from registration), with its audit entry."""
    with transaction.atomic():
        profile = LearnerProfile(user=user, **_clean(data))
        profile.full_clean()
        profile.save()
        audit_record(
            actor=user,
            subject=user,
            action="profile.create",
            target=profile,
            fields=sorted(name for name, value in _clean(data).items() if value),
        )
    return profile


def profile_update(*, user: User, data: dict[str, Any], actor: User) -> LearnerProfile:
    """Change the learner profile of ``user``; effective at once.

    The audit entry names the changed fields, never their old or new values (the ledger is
    kept after erasure). Nothing changed: nothing written.
    """
    with transaction.atomic():
        profile, _created = LearnerProfile.objects.select_for_update().get_or_create(user=user)
        changed = []
        for name, value in _clean(data).items():
            if getattr(profile, name) != value:
                setattr(profile, name, value)
                changed.append(name)
        if not changed:
            return profile
        profile.updated_at = timezone.now()
        profile.full_clean()
        profile.save()
        audit_record(
            actor=actor,
            subject=user,
            action="profile.update",
            target=profile,
            fields=changed,
        )
    return profile
