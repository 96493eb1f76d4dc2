"""Feedback: ratings of a session after it ends, and feedback on CLL's services.

- ``Invitation``: one per (session, learner), written by the periodic invitation job
  (services.py) for each learner with an active enrolment in a session that ended. It is sent to
  the account that can answer (``recipient``): the learner, or the guardian of a child in their
  care. The e-mailed link carries a token whose SHA-256 only is stored (``token_hash``), valid
  until ``expires_at``; the token is kept (hashed) until then so the answer can be changed, and
  cleared by retention after it.
- ``SessionRating``: the answer to an invitation (one per invitation, changed in place until the
  link expires): 1 to 5 stars, an optional comment, and whether we may quote it anonymously.
- ``ServiceFeedback``: a signed-in person's rating of a service (website, enrolment and payment,
  customer service, premises, other).

Ratings and comments are the person's data (``learner`` / ``account``): export and erasure find
them through it. After ``FEEDBACK_DAYS`` retention deletes the comment and detaches the rating
from the person (retention.py): the bare numbers (session or topic, stars, month) remain for the
results, which no longer say anything about anyone.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cll.core.encryption import EncryptedTextField
from cll.courses.models import Session

COMMENT_MAX_CHARS = 2000
RATING_CHOICES = [(n, str(n)) for n in range(1, 6)]
_RATING_VALID = Q(rating__gte=1) & Q(rating__lte=5)


class Topic(models.TextChoices):
    """What a piece of feedback on our services is about."""

    WEBSITE = "website", _("Website")
    ENROLMENT = "enrolment", _("Enrolment and payment")
    CUSTOMER_SERVICE = "customer_service", _("Customer service")
    PREMISES = "premises", _("Premises")
    OTHER = "other", _("Other")


class Invitation(models.Model):
    """An invitation to rate one session, for one learner (see the module docstring)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="+", verbose_name=_("session")
    )
    # Whose seat it was: the ratings are about their experience (the data subject).
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="feedback_invitations",
        verbose_name=_("learner"),
    )
    # Who was written to and may answer: the learner, or the guardian of a child in their care.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent to"),
    )
    language = models.CharField(_("language"), max_length=8)
    # SHA-256 of the e-mailed token; "" once the link has expired (retention clears it).
    token_hash = models.CharField(max_length=64, blank=True, editable=False)
    expires_at = models.DateTimeField(_("link valid until"))
    created_at = models.DateTimeField(_("invited at"), auto_now_add=True)

    class Meta:
        verbose_name = _("feedback invitation")
        verbose_name_plural = _("feedback invitations")
        ordering = ["-created_at", "-id"]
        constraints = [
            # The job runs again and again (and maybe twice at once): one invitation each.
            models.UniqueConstraint(fields=["session", "learner"], name="feedback_invite_once"),
        ]
        indexes = [
            # The rating page finds the invitation from its link.
            models.Index(
                fields=["token_hash"], condition=~Q(token_hash=""), name="feedback_invite_token_idx"
            ),
            # "Sessions to rate" on the person's feedback page.
            models.Index(fields=["recipient", "expires_at"], name="feedback_invite_recipient_idx"),
        ]

    def __str__(self) -> str:
        return str(self.public_id)


class SessionRating(models.Model):
    """The answer to an invitation: stars, an optional comment, permission to quote."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Detached when the invitation goes (retention): the anonymous rating stays for the results.
    invitation = models.OneToOneField(
        Invitation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="rating",
    )
    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="+", verbose_name=_("session")
    )
    # The person the rating is about; NULL once retention made it anonymous.
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("learner"),
    )
    rating = models.PositiveSmallIntegerField(_("rating"), choices=RATING_CHOICES)
    comment = EncryptedTextField(_("comment"), max_length=COMMENT_MAX_CHARS, blank=True)
    may_quote = models.BooleanField(_("may be quoted anonymously"), default=False)
    created_at = models.DateTimeField(_("answered at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("session rating")
        verbose_name_plural = _("session ratings")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=_RATING_VALID, name="feedback_rating_1_to_5"),
        ]
        indexes = [
            # The results: one session's ratings (counts, average, distribution, comments).
            models.Index(fields=["session", "created_at"], name="feedback_rating_session_idx"),
            # Retention: ratings still tied to a person, oldest first.
            models.Index(
                fields=["created_at"],
                condition=Q(learner__isnull=False),
                name="feedback_rating_linked_idx",
            ),
        ]

    def __str__(self) -> str:
        return str(self.public_id)


class ServiceFeedback(models.Model):
    """A signed-in person's rating of one of our services, with an optional comment."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # NULL once retention made it anonymous.
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("account"),
    )
    topic = models.CharField(_("about"), max_length=24, choices=Topic)
    rating = models.PositiveSmallIntegerField(_("rating"), choices=RATING_CHOICES)
    comment = EncryptedTextField(_("comment"), max_length=COMMENT_MAX_CHARS, blank=True)
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("feedback on our services")
        verbose_name_plural = _("feedback on our services")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=_RATING_VALID, name="feedback_service_1_to_5"),
            models.CheckConstraint(
                condition=Q(topic__in=Topic.values), name="feedback_service_topic_valid"
            ),
        ]
        indexes = [
            # The results: averages per topic and month; the comments, newest first.
            models.Index(fields=["topic", "created_at"], name="feedback_service_topic_idx"),
            # Retention: feedback still tied to a person, oldest first.
            models.Index(
                fields=["created_at"],
                condition=Q(account__isnull=False),
                name="feedback_service_linked_idx",
            ),
        ]

    def __str__(self) -> str:
        return str(self.public_id)
