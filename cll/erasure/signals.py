"""Signal receivers of the erasure app (connected in apps.py): thin calls to services."""

from __future__ import annotations

from django.contrib import messages
from django.utils.translation import gettext as _

from cll.erasure.models import ErasureSchedule
from cll.erasure.services import NotScheduled, erasure_cancel


def cancel_on_sign_in(sender, request, user, **kwargs) -> None:
    """Signing in again (after the reactivation page) cancels a pending erasure."""
    if not ErasureSchedule.objects.filter(user=user).exists():
        return
    try:
        erasure_cancel(subject=user)
    except NotScheduled:
        return
    if request is not None:
        # fail_silently: force_login() in tests and scripts has no message storage.
        messages.info(
            request,
            _("Welcome back: the erasure of your account is cancelled."),
            fail_silently=True,
        )
