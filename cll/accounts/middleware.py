"""Staff sessions end when idle and after a fixed lifetime (ASVS 7.3.1 and 7.3.2, issue 16).

A staff account (``is_staff``) signs in with a second factor and reads people's data, so its
session must not outlive a forgotten browser for 14 days as a learner's may:

- idle timeout: no request for ``settings.STAFF_SESSION_IDLE_MINUTES`` (default 30) ends it;
- absolute lifetime: ``settings.STAFF_SESSION_MAX_HOURS`` (default 12) after signing in ends it,
  however active the person was, so a stolen session cookie is worth hours, not weeks.

Ending means ``logout()`` (the session is flushed, on the server too), then the sign-in page with
``next`` and a message saying why. The request that found the session expired is not processed:
a POST (a form left open) is dropped, never performed by a session that should be over.

"Staff" is ``is_staff`` (or ``is_superuser``), the flag already on ``request.user``: a staff role
(a group) only counts on an ``is_staff`` account (``staff_selectors.staff_roles_of``), so no
query is needed. Learners keep the existing behaviour ("remember me", ``SESSION_COOKIE_AGE``).

Cost: two integers in the session. The sign-in time is written at sign-in (``user_logged_in``)
or the first time a staff session is seen; the last activity at most once a minute, so most
requests write nothing (idle time is measured to the minute). The session's own expiry (cookie
and server row) is set once to the absolute limit plus one idle period: the server forgets the
session soon after it can no longer be used, but not before it can tell the person why.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import middleware as auth_middleware
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.utils.translation import ngettext

SIGNED_IN_KEY = "cll_signed_in_at"
LAST_SEEN_KEY = "cll_last_seen_at"
# Last activity is written at most this often (seconds): one write per request would slow pages.
LAST_SEEN_RESOLUTION = 60
IDLE, ABSOLUTE = "idle", "absolute"


def is_staff_session(user) -> bool:
    """Whether the signed-in account gets the staff session limits."""
    return bool(user.is_authenticated and (user.is_staff or user.is_superuser))


def session_signed_in(sender, request: HttpRequest | None = None, user=None, **kwargs) -> None:
    """``user_logged_in`` receiver: a fresh sign-in restarts the clocks. The sign-in time is
    kept for everyone (an account made staff later is measured from its real sign-in); the
    last activity is only tracked for staff, from their next request."""
    session = getattr(request, "session", None)
    if session is None:
        return
    session[SIGNED_IN_KEY] = int(time.time())
    session.pop(LAST_SEEN_KEY, None)
    # A sign-in within a session (login() keeps its data) starts a new lifetime: the deadline
    # of the previous one must not end this one (the middleware sets the staff deadline).
    session.set_expiry(None)


def _deadline(signed_in: int) -> str:
    # The session's expiry, in set_expiry's stored form (compared to know when to write it).
    lifetime = settings.STAFF_SESSION_MAX_HOURS * 3600 + settings.STAFF_SESSION_IDLE_MINUTES * 60
    return datetime.datetime.fromtimestamp(signed_in + lifetime, tz=datetime.UTC).isoformat()


def _keep_expiry(request: HttpRequest) -> None:
    # allauth's "remember me" sets 14 days (or the browser session) after the sign-in signal:
    # put the staff deadline back, writing the session only when it differs.
    session = request.session
    signed_in = session.get(SIGNED_IN_KEY)
    if signed_in is None:
        return
    deadline = _deadline(signed_in)
    if session.get("_session_expiry") != deadline:
        session.set_expiry(datetime.datetime.fromisoformat(deadline))


def staff_session_expired(request: HttpRequest) -> str | None:
    """``"absolute"`` or ``"idle"`` when this staff session is over, else ``None`` (and the
    activity is recorded, at most once a minute)."""
    session = request.session
    now = int(time.time())
    signed_in = session.get(SIGNED_IN_KEY)
    last_seen = session.get(LAST_SEEN_KEY)
    # First sight of this session (signed in before this middleware existed, or as a learner
    # made staff since without a sign-in time): the clocks start now.
    if signed_in is None:
        signed_in = session[SIGNED_IN_KEY] = now
    if last_seen is None:
        last_seen = session[LAST_SEEN_KEY] = now
    if now - signed_in > settings.STAFF_SESSION_MAX_HOURS * 3600:
        return ABSOLUTE
    if now - last_seen > settings.STAFF_SESSION_IDLE_MINUTES * 60:
        return IDLE
    if now - last_seen >= LAST_SEEN_RESOLUTION:
        session[LAST_SEEN_KEY] = now
    _keep_expiry(request)
    return None


def _expired_message(reason: str) -> str:
    if reason == ABSOLUTE:
        hours = settings.STAFF_SESSION_MAX_HOURS
        return ngettext(
            "Your session expired %(hours)s hour after you signed in; please sign in again.",
            "Your session expired %(hours)s hours after you signed in; please sign in again.",
            hours,
        ) % {"hours": hours}
    minutes = settings.STAFF_SESSION_IDLE_MINUTES
    return ngettext(
        "Your session expired after %(minutes)s minute without activity; please sign in again.",
        "Your session expired after %(minutes)s minutes without activity; please sign in again.",
        minutes,
    ) % {"minutes": minutes}


class AuthenticationMiddleware(auth_middleware.AuthenticationMiddleware):
    """Django's, with ``request.user`` read at once rather than behind a lazy wrapper.

    The staff session limits below read it on every request, so the laziness saved nothing,
    and each of a page's dozens of uses of the user went through the wrapper's proxy. Reading it
    is Django's own ``get_user`` (the session's user, its session hash checked).
    """

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        request.user = auth_middleware.get_user(request)


class StaffSessionTimeoutMiddleware:
    """Ends staff sessions past their idle or absolute limit (after AuthenticationMiddleware
    and MessageMiddleware, before anything that acts on the signed-in person)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_staff_session(request.user):
            reason = staff_session_expired(request)
            if reason is not None:
                # Back to this page after signing in (by GET: a POST's data is dropped).
                next_path = request.get_full_path()
                logout(request)
                messages.warning(request, _expired_message(reason))
                return redirect_to_login(next_path)
        response = self.get_response(request)
        # Signed in during this request: allauth set the session's expiry after the signal.
        if is_staff_session(request.user) and request.session.modified:
            _keep_expiry(request)
        return response
