"""Writes of the accounts app."""

from __future__ import annotations

import datetime
import uuid
from importlib import import_module
from typing import Any

from allauth.account.models import EmailAddress
from allauth.usersessions.models import UserSession
from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation

from cll.accounts.models import (
    PROFILE_FIELDS,
    Guardianship,
    LearnerProfile,
    ParentalConsentRequest,
    User,
)
from cll.core.encryption import data_key_destroy
from cll.core.outbox import email_queue_template
from cll.lib.tokens import link_token_live, link_token_new
from cll.policies.selectors import policy_version_current
from cll.privacy.services import audit_record


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for name in PROFILE_FIELDS:
        value = data.get(name)
        if name == "birth_date":
            cleaned[name] = value
        elif name == "recommendations_enabled":
            # A form without the switch (registration) leaves suggestions on, the default.
            cleaned[name] = True if value is None else bool(value)
        else:
            cleaned[name] = value or ""
    return cleaned


def profile_create(
    *, user: User, data: dict[str, Any], age_declared: bool = False
) -> LearnerProfile:
    """Create the learner profile of a new account (from registration), with its audit entry.

    ``age_declared``: the person gave no date of birth but declared being at least the digital
    consent age; the entry keeps that declaration as the evidence of the age check (GDPR Art. 8:
    reasonable efforts), with the age it was made for."""
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
            detail={"age_declared": settings.DIGITAL_CONSENT_AGE} if age_declared else None,
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


# -- Deactivation and deletion (the person's own choice) ---------------------------------------


def sessions_end_all(*, user: User) -> int:
    """End every sign-in session of ``user``, on every device; returns how many were ended.

    allauth.usersessions lists the sessions it saw; the session table is also walked, since a
    session may predate that list (or be opened without its middleware). Each session is
    deleted through the session engine, so cached copies go too.
    """

    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    keys: set[str] = set()

    if apps.is_installed("allauth.usersessions"):
        keys.update(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
        UserSession.objects.filter(user=user).delete()
    get_model = getattr(store_class, "get_model_class", None)
    if get_model is not None:
        user_id = str(user.pk)
        for session in get_model().objects.filter(expire_date__gt=timezone.now()).iterator():
            if str(session.get_decoded().get("_auth_user_id")) == user_id:
                keys.add(session.session_key)
    for key in keys:
        store_class(session_key=key).delete()
    return len(keys)


def account_deactivate(*, user: User) -> User:
    """The person switches their account off: they are signed out everywhere and cannot sign
    in until they reactivate it (accounts:reactivate). Nothing is deleted."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        user.is_active = False
        user.deactivated_at = timezone.now()
        user.save(update_fields=["is_active", "deactivated_at"])
        sessions_end_all(user=user)
        audit_record(actor=user, subject=user, action="account.deactivate", target=user)
    return user


def account_reactivate(*, user: User) -> User:
    """Switch back on an account its owner deactivated (never one disabled by staff or erased)."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.deactivated_at is None or user.is_active:
            raise ValueError("Only an account deactivated by its owner can be reactivated.")
        user.is_active = True
        user.deactivated_at = None
        user.save(update_fields=["is_active", "deactivated_at"])
        audit_record(actor=user, subject=user, action="account.reactivate", target=user)
    return user


# -- Children and guardians ---------------------------------------------------------------------


def age_on(birth_date, today=None) -> int:
    today = today or timezone.localdate()
    return (
        today.year
        - birth_date.year
        - ((today.month, today.day) < (birth_date.month, birth_date.day))
    )


def is_under_consent_age(birth_date) -> bool:

    return birth_date is not None and age_on(birth_date) < settings.DIGITAL_CONSENT_AGE


def parental_consent_request_create(*, parent_email: str, language: str) -> None:
    """A child under the consent age asks a parent: keep only the parent's address (sealed
    with the request's own key) and the hash of the link, and e-mail the link (outbox)."""

    link = link_token_new(lifetime=datetime.timedelta(days=settings.PARENTAL_CONSENT_LINK_DAYS))
    with transaction.atomic():
        request = ParentalConsentRequest.objects.create(
            parent_email=parent_email, token_hash=link.hash, expires_at=link.expires_at
        )
        with translation.override(language):
            path = reverse("accounts:parental_consent", args=[link.token])
        email_queue_template(
            to=parent_email,
            template_prefix="emails/parental_consent",
            context={"link": settings.SITE_URL.rstrip("/") + path},
            language=language,
            subject_person=request.public_id,
        )


def parental_consent_request_get(*, token: str):
    """The live (unused, unexpired) request behind a link, or None."""

    return link_token_live(
        ParentalConsentRequest.objects, token, expires_field="expires_at"
    ).first()


def _consent_request_discard(request) -> None:
    subject = request.public_id
    request.delete()
    data_key_destroy(subject=subject)


def parental_consent_requests_purge() -> int:
    """Delete expired requests and shred their keys; returns how many."""

    count = 0
    for request in ParentalConsentRequest.objects.filter(expires_at__lte=timezone.now()):
        with transaction.atomic():
            _consent_request_discard(request)
        count += 1
    return count


class ChildLimitReached(Exception):
    """The guardian already has ``settings.MAX_CHILDREN_PER_GUARDIAN`` children: none added."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"A guardian may have at most {limit} children.")
        self.limit = limit


def child_account_create(*, guardian: User, token: str, data: dict[str, Any]) -> User:
    """The guardian confirms the consent and completes the child's profile.

    Creates the child's account (no e-mail address of their own, no password: the guardian
    manages it until the handover), the learner profile, the guardianship and the consent
    entry in the ledger; the request (the parent's address) is deleted and its key shredded.
    Raises ValueError if the link is unknown, used or expired, and ChildLimitReached when the
    guardian has as many children as allowed (the request is then kept, still usable).
    """

    with transaction.atomic():
        request = link_token_live(
            ParentalConsentRequest.objects.select_for_update(), token, expires_field="expires_at"
        ).first()
        if request is None:
            raise ValueError("This consent link is unknown, used or expired.")
        child = _child_create(guardian=guardian, data=data)
        _consent_request_discard(request)
    return child


def _child_create(*, guardian: User, data: dict[str, Any]) -> User:
    """Inside the caller's transaction: the child's account, profile, guardianship and
    consent entry (guardian, child, time, policy version) in the ledger.

    A guardian has at most ``settings.MAX_CHILDREN_PER_GUARDIAN`` children, handed-over ones
    included (each was an account created from this one: otherwise adding and handing over in
    turn would give accounts to any number of addresses). Raises ChildLimitReached beyond it.
    """

    # Lock the guardian's row: two additions at once by the same guardian queue here, so both
    # cannot count the children before either adds one and go past the cap together.
    User.objects.select_for_update().only("pk").get(pk=guardian.pk)
    limit = settings.MAX_CHILDREN_PER_GUARDIAN
    if Guardianship.objects.filter(guardian=guardian).count() >= limit:
        raise ChildLimitReached(limit)
    child = User.objects.create_user(email=f"child-{uuid.uuid4().hex}@invalid")
    profile = LearnerProfile(user=child, **_clean(data))
    profile.full_clean()
    profile.save()
    guardianship = Guardianship.objects.create(
        guardian=guardian,
        child=child,
        consent_given_at=timezone.now(),
        policy_version=policy_version_current("privacy"),
    )
    audit_record(
        actor=guardian,
        subject=child,
        action="consent.parental",
        target=guardianship,
        detail={
            "guardian": str(guardian.public_id),
            "child": str(child.public_id),
            "policy_version": policy_version_current("privacy"),
        },
    )
    audit_record(
        actor=guardian,
        subject=child,
        action="profile.create",
        target=profile,
        fields=sorted(name for name, value in _clean(data).items() if value),
    )
    return child


def child_add(*, guardian: User, data: dict[str, Any]) -> User:
    """A guardian adds a child learner from their profile (their consent is the act itself).

    Raises ChildLimitReached when they have as many children as allowed: nothing is created.
    """
    with transaction.atomic():
        return _child_create(guardian=guardian, data=data)


def child_can_take_over(child: User) -> bool:
    """Whether the child has reached the digital consent age (by the birth date on file)."""

    profile = LearnerProfile.objects.filter(user=child).first()
    birth_date = profile.birth_date if profile else None
    return birth_date is not None and age_on(birth_date) >= settings.DIGITAL_CONSENT_AGE


def guardianship_handover(*, guardian: User, child: User, email: str, password: str) -> User:
    """The child, now old enough, takes over their account: their own e-mail address (to be
    verified at their first sign-in) and password; the guardianship ends."""

    with transaction.atomic():
        child = User.objects.select_for_update().get(pk=child.pk)
        if not child_can_take_over(child):
            raise ValueError("The child has not reached the digital consent age.")
        child.email = email.lower()
        child.set_password(password)
        child.save()
        EmailAddress.objects.filter(user=child).delete()
        EmailAddress.objects.create(user=child, email=child.email, verified=False, primary=True)
        Guardianship.objects.filter(child=child).update(status=Guardianship.Status.HANDED_OVER)
        audit_record(
            actor=guardian,
            subject=child,
            action="guardianship.handover",
            target=child,
            detail={"guardian": str(guardian.public_id), "child": str(child.public_id)},
        )
    return child
