"""Reads of feedback for the person: the invitation a link opens, their own invitations.

A link opens its invitation while it is valid, for whoever holds it (no sign-in needed: the
token is 256 random bits, e-mailed to the person). Signed in, a person reaches only the
invitations sent to them, while their link is valid; anyone else's is "not found" (404).
A person's reads of their own answers are not audited (as the profile page).
"""

from __future__ import annotations

import uuid

from django.db.models import QuerySet
from django.utils import timezone

from cll.accounts.models import User
from cll.feedback.models import Invitation, SessionRating
from cll.lib.tokens import link_token_live
from cll.shop.models import Enrolment


def _live() -> QuerySet[Invitation]:
    return (
        Invitation.objects.exclude(token_hash="")
        .filter(expires_at__gt=timezone.now())
        .select_related("session__site", "learner__profile")
    )


def invitation_get_for_token(*, token: str) -> Invitation | None:
    """The invitation ``token`` opens while its link is valid; None otherwise."""
    if not token:
        return None
    return link_token_live(_live(), token, expires_field="expires_at").first()


def invitation_get_for(*, user: User, public_id: uuid.UUID) -> Invitation | None:
    """One of the invitations sent to ``user``, while its link is valid; None for anyone
    else's (callers answer 404)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return _live().filter(recipient=user, public_id=public_id).first()


def invitation_get_for_enrolment(*, user: User, public_id: uuid.UUID) -> Invitation | None:
    """The live invitation sent to ``user`` for the seat ``public_id`` (an enrolment of theirs
    or of a child in their care: "my enrolments" links here); None otherwise."""
    if not getattr(user, "is_authenticated", False):
        return None
    enrolment = Enrolment.objects.filter(public_id=public_id).only("session_id", "learner_id")
    seat = enrolment.first()
    if seat is None:
        return None
    return (
        _live()
        .filter(recipient=user, session_id=seat.session_id, learner_id=seat.learner_id)
        .first()
    )


def invitation_list_for(*, user: User) -> list[Invitation]:
    """The invitations sent to ``user`` whose link is still valid, newest first, each with
    ``answer`` (their rating or None)."""
    invitations = list(_live().filter(recipient=user).order_by("-created_at", "-id"))
    answers = {
        answer.invitation_id: answer
        for answer in SessionRating.objects.filter(invitation__in=invitations)
    }
    for invitation in invitations:
        invitation.answer = answers.get(invitation.pk)
    return invitations


def rating_of(invitation: Invitation) -> SessionRating | None:
    """The answer already given to ``invitation``, if any."""
    return SessionRating.objects.filter(invitation=invitation).first()
