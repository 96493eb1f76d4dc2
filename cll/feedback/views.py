"""Pages of feedback for people: rate a session (from the e-mailed link, or signed in), and
give feedback on our services from the account. Thin: rules are in services.py/selectors.py.

The link needs no sign-in (its token is the proof), but a person signed in as another account
than the one it was sent to is refused: the page would otherwise record an answer under the
wrong person's session while they think it is theirs.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from cll.core.ratelimit import window_hit
from cll.feedback import selectors, services
from cll.feedback.forms import ServiceFeedbackForm, SessionRatingForm
from cll.feedback.models import Invitation
from cll.shop.waitlist import learner_name

# Feedback on services a person may send in a day (a flood is refused, not stored).
SERVICE_FEEDBACK_PER_DAY = 20


def _rating_page(
    request: HttpRequest, invitation: Invitation, *, action: str, done: str
) -> HttpResponse:
    """The rating form of ``invitation`` (GET), or its answer recorded (POST)."""
    answer = selectors.rating_of(invitation)
    status = 200
    if request.method == "POST":
        form = SessionRatingForm(request.POST)
        if form.is_valid():
            try:
                services.session_rating_save(
                    invitation=invitation,
                    actor=request.user if request.user.is_authenticated else None,
                    **form.cleaned_data,
                )
            except services.RatingClosed:
                return render(request, "feedback/rate_invalid.html", status=404)
            messages.success(
                request,
                _("Thank you for your answer. You can change it until the link expires."),
            )
            return redirect(done)
        status = 400
    else:
        initial = (
            {}
            if answer is None
            else {"rating": answer.rating, "comment": answer.comment, "may_quote": answer.may_quote}
        )
        form = SessionRatingForm(initial=initial)
    for_child = invitation.learner_id != invitation.recipient_id
    return render(
        request,
        "feedback/rate.html",
        {
            "form": form,
            "invitation": invitation,
            "session": invitation.session,
            "answer": answer,
            "action": action,
            "for_name": learner_name(invitation.learner) if for_child else "",
        },
        status=status,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def rate(request: HttpRequest, token: str) -> HttpResponse:
    """The e-mailed link: rate the session (or change the answer) while the link is valid."""
    invitation = selectors.invitation_get_for_token(token=token)
    if invitation is None:
        return render(request, "feedback/rate_invalid.html", status=404)
    if request.user.is_authenticated and request.user.pk != invitation.recipient_id:
        return render(request, "feedback/rate_not_yours.html", status=403)
    return _rating_page(request, invitation, action=request.path, done=request.path)


@login_required
@require_http_methods(["GET", "POST"])
def session_rate(request: HttpRequest, public_id) -> HttpResponse:
    """The same page, signed in, from "my feedback" (or "my enrolments")."""
    invitation = selectors.invitation_get_for(user=request.user, public_id=public_id)
    if invitation is None:
        raise Http404("No such invitation.")
    return _rating_page(request, invitation, action=request.path, done=request.path)


@login_required
@require_safe
def enrolment_rate(request: HttpRequest, public_id) -> HttpResponse:
    """From "my enrolments": the rating page of that seat's invitation when there is one (sent
    to the signed-in person, still valid), else "my feedback", which lists what can be rated."""
    invitation = selectors.invitation_get_for_enrolment(user=request.user, public_id=public_id)
    if invitation is None:
        return redirect("feedback:home")
    return redirect("feedback:session_rate", public_id=invitation.public_id)


@login_required
@require_http_methods(["GET", "POST"])
def feedback_home(request: HttpRequest) -> HttpResponse:
    """My feedback: the sessions I am invited to rate, and feedback on our services."""
    status = 200
    if request.method == "POST":
        form = ServiceFeedbackForm(request.POST)
        if form.is_valid():
            if not window_hit(
                f"feedback:service:{request.user.pk}", limit=SERVICE_FEEDBACK_PER_DAY, seconds=86400
            ):
                form.add_error(
                    None, _("You have sent a lot of feedback today: please try again tomorrow.")
                )
                status = 429
            else:
                services.service_feedback_create(account=request.user, **form.cleaned_data)
                messages.success(request, _("Thank you for your feedback."))
                return redirect("feedback:home")
        else:
            status = 400
    else:
        form = ServiceFeedbackForm()
    return render(
        request,
        "feedback/home.html",
        {
            "form": form,
            "invitations": selectors.invitation_list_for(user=request.user),
            "link_days": settings.FEEDBACK_LINK_DAYS,
        },
        status=status,
    )
