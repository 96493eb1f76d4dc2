"""Writes of feedback: inviting learners to rate a session, recording ratings and feedback on
our services.

Invitations (``invitations_send_due``, run by the periodic job in tasks.py)
    - A session is due when it ended ``FEEDBACK_INVITE_AFTER_DAYS`` days ago or more, and less
      than ``FEEDBACK_LINK_DAYS`` days ago (an older one is not asked about any more, and an
      invitation whose link expired can never be written again for it: see retention.py).
    - Each learner with an active enrolment in it is invited once: the database allows one
      invitation per (session, learner), each written in its own transaction with its e-mail,
      so running the job twice, or twice at the same time, writes and sends one.
    - The invitation goes to the account that can answer: the learner, or, for a child in a
      guardian's care (an active guardianship: the child is under 13), the guardian. Nobody is
      written to who cannot sign in (inactive or erased accounts).
    - Asking for feedback rests on our legitimate interest in a service the person bought: a
      restriction of processing (Art. 18) of the learner or of the recipient stops it, and so
      does an objection to marketing messages (Art. 21): the invitation is an unsolicited
      message, and someone who told us to stop those is not written to.
    - The e-mail goes through the outbox in the recipient's language, with a link carrying a
      random token (only its hash is stored) valid ``FEEDBACK_LINK_DAYS`` days.

Ratings (``session_rating_save``)
    One answer per invitation, which may be changed while the link is valid (the token is not
    consumed by answering: the answer is what changes). The invitation is locked while it is
    written, so two submissions at once leave one answer.

Every write is audited in its transaction (ids and field names only, never the comment).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone, translation

from cll.accounts.models import Guardianship, User
from cll.core.outbox import email_queue_template
from cll.courses.models import Session
from cll.feedback.models import Invitation, ServiceFeedback, SessionRating
from cll.feedback.privacy import FEEDBACK
from cll.lib.tokens import link_token_new
from cll.privacy.services import audit_record, person_language
from cll.rights.selectors import processing_allowed
from cll.shop.models import Enrolment, EnrolmentStatus
from cll.shop.waitlist import learner_name

logger = logging.getLogger(__name__)

# The objection that also stops invitations (see the module docstring).
OBJECTION_PURPOSE = "marketing"


class RatingClosed(Exception):
    """The invitation's link expired while the person was answering."""


# -- Invitations ----------------------------------------------------------------------------------


def due_window(today: dt.date) -> tuple[dt.date, dt.date]:
    """The last days (inclusive lower bound excluded: ``(after, until]``) of the sessions whose
    learners are invited on ``today``."""
    return (
        today - dt.timedelta(days=settings.FEEDBACK_LINK_DAYS),
        today - dt.timedelta(days=settings.FEEDBACK_INVITE_AFTER_DAYS),
    )


def _candidates(today: dt.date):
    after, until = due_window(today)
    invited = Invitation.objects.filter(session=OuterRef("session"), learner=OuterRef("learner"))
    return (
        Enrolment.objects.filter(
            status=EnrolmentStatus.ACTIVE,
            session__ends_on__gt=after,
            session__ends_on__lte=until,
        )
        .exclude(Exists(invited))
        .select_related("session", "learner__profile")
        .order_by("session_id", "id")
    )


def invitation_recipient(learner: User) -> User | None:
    """Who answers for ``learner``: their active guardian when they are a child in someone's
    care, else themselves; None when that account cannot sign in."""
    guardianship = (
        Guardianship.objects.filter(child=learner, status=Guardianship.Status.ACTIVE)
        .select_related("guardian")
        .order_by("consent_given_at", "id")
        .first()
    )
    recipient = guardianship.guardian if guardianship is not None else learner
    return recipient if recipient.is_active else None


def invitation_allowed(*, learner: User, recipient: User) -> bool:
    """Whether the learner and the recipient may be asked (restriction, objection)."""
    people = {learner.public_id, recipient.public_id}
    return all(
        processing_allowed(subject=person, purpose=purpose)
        for person in people
        for purpose in (FEEDBACK, OBJECTION_PURPOSE)
    )


def rating_link(token: str, *, language: str) -> str:
    """The absolute address of the rating page in ``language`` (e-mails have no request)."""
    with translation.override(language):
        path = reverse("feedback:rate", kwargs={"token": token})
    return settings.SITE_URL.rstrip("/") + path


def invitation_language(*, session: Session, learner: User, recipient: User) -> str:
    """The language to invite in: the one the recipient ordered the seat in (the shop writes
    its e-mails in it too; accounts record no language of their own), else the person's."""
    ordered = (
        Enrolment.objects.filter(
            session=session, learner=learner, order_line__order__buyer=recipient
        )
        .exclude(order_line__order__language="")
        .values_list("order_line__order__language", flat=True)
        .first()
    )
    return ordered or person_language(recipient)


def invitation_create(
    *, session: Session, learner: User, recipient: User, now: dt.datetime | None = None
) -> Invitation | None:
    """Write one invitation and queue its e-mail, in one transaction; None when the learner
    was already invited (by an earlier or a concurrent run: the unique constraint decides)."""
    language = invitation_language(session=session, learner=learner, recipient=recipient)
    link = link_token_new(lifetime=dt.timedelta(days=settings.FEEDBACK_LINK_DAYS))
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                session=session,
                learner=learner,
                recipient=recipient,
                language=language,
                token_hash=link.hash,
                expires_at=link.expires_at,
            )
            with translation.override(language):
                session_title = str(session.title)
            email_queue_template(
                to=recipient.email,
                template_prefix="emails/feedback_invitation",
                context={
                    "link": rating_link(link.token, language=language),
                    "session_title": session_title,
                    "learner_name": "" if learner.pk == recipient.pk else learner_name(learner),
                    "expires_at": invitation.expires_at,
                    "days": settings.FEEDBACK_LINK_DAYS,
                },
                language=language,
                subject_person=recipient.public_id,
            )
            audit_record(
                subject=learner,
                action="feedback.invite",
                target=invitation,
                detail={"session": session.slug, "for_child": learner.pk != recipient.pk},
            )
    except IntegrityError:
        return None
    return invitation


def invitations_send_due(*, today: dt.date | None = None) -> int:
    """Invite every learner of every due session not invited yet (rules: module docstring);
    returns how many invitations were written."""
    today = today or timezone.localdate()
    sent = 0
    for enrolment in _candidates(today):
        learner = enrolment.learner
        recipient = invitation_recipient(learner)
        if recipient is None or not invitation_allowed(learner=learner, recipient=recipient):
            continue
        if invitation_create(session=enrolment.session, learner=learner, recipient=recipient):
            sent += 1
    if sent:
        logger.info("feedback invitations sent", extra={"count": sent})
    return sent


# -- Answers --------------------------------------------------------------------------------------


def session_rating_save(
    *,
    invitation: Invitation,
    rating: int,
    comment: str,
    may_quote: bool,
    actor: User | None = None,
) -> SessionRating:
    """Record (or change) the answer to ``invitation``. Raises RatingClosed when its link
    expired meanwhile. ``actor`` is the signed-in person, None for an answer from the link."""
    with transaction.atomic():
        locked = (
            Invitation.objects.select_for_update().select_related("learner").get(pk=invitation.pk)
        )
        if not locked.token_hash or locked.expires_at <= timezone.now():
            raise RatingClosed
        answer = SessionRating.objects.filter(invitation=locked).first()
        created = answer is None
        if created:
            answer = SessionRating(invitation=locked, session_id=locked.session_id)
        answer.learner = locked.learner
        answer.rating = rating
        answer.comment = comment
        answer.may_quote = may_quote
        answer.save()
        audit_record(
            actor=actor,
            subject=locked.learner,
            action="feedback.rate" if created else "feedback.rate_change",
            target=answer,
            fields=("rating", "comment", "may_quote"),
            detail={"session": locked.session.slug},
        )
    return answer


def service_feedback_create(
    *, account: User, topic: str, rating: int, comment: str
) -> ServiceFeedback:
    """Record a signed-in person's feedback on one of our services."""
    with transaction.atomic():
        feedback = ServiceFeedback.objects.create(
            account=account, topic=topic, rating=rating, comment=comment
        )
        audit_record(
            actor=account,
            subject=account,
            action="feedback.service",
            target=feedback,
            fields=("topic", "rating", "comment"),
        )
    return feedback
