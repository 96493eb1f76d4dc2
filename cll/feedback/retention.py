"""Retention of feedback: the pruners of its rules (declared in privacy.py; the engine is
cll/privacy/retention.py, which runs them daily).

- ``feedback-link``: an invitation whose link has expired loses its token's hash (the link can
  never work again); the invitation itself stays until ``feedback`` takes it, so nobody is
  invited twice for a session and the results can say how many were invited;
- ``feedback``: ``FEEDBACK_DAYS`` after a rating was last written, its comment is deleted and it
  is detached from the person (learner, invitation); feedback on services likewise after it was
  sent; invitations go ``FEEDBACK_DAYS`` after they were sent. The bare figures that stay (a
  session or a topic, a number of stars, a date) are no longer about anyone.

Comments are emptied with an UPDATE: an empty string is stored as such (no key needed), and
what the rows held under the person's key is gone with the value.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from cll.feedback.models import Invitation, ServiceFeedback, SessionRating
from cll.privacy.retention import cutoff, pruner


@pruner("feedback-link")
def prune_invitation_links(*, dry_run: bool) -> int:
    """Delete the token of every invitation whose link has expired."""
    rows = Invitation.objects.filter(expires_at__lte=timezone.now()).exclude(token_hash="")
    count = rows.count()
    if not dry_run and count:
        rows.update(token_hash="")
    return count


@pruner("feedback")
def prune_feedback(*, dry_run: bool) -> int:
    """Delete the comments of ratings and of feedback on services written longer ago than the
    period, detach them from the person, and delete the invitations sent before it."""
    before = cutoff("feedback")
    ratings = SessionRating.objects.filter(learner__isnull=False, updated_at__lt=before)
    services = ServiceFeedback.objects.filter(account__isnull=False, created_at__lt=before)
    invitations = Invitation.objects.filter(created_at__lt=before)
    count = ratings.count() + services.count() + invitations.count()
    if dry_run or not count:
        return count
    with transaction.atomic():
        # update() does not touch updated_at (auto_now applies to save() only).
        ratings.update(comment="", may_quote=False, learner=None, invitation=None)
        services.update(comment="", account=None)
        invitations.delete()
    return count
