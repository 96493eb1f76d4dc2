"""Pages of the waiting lists: join a full session's list, "my waiting lists", leave, and the
e-mailed offer of a seat. Thin: the rules are in cll/shop/waitlist.py."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from cll.courses.models import Session
from cll.courses.selectors import session_get_for
from cll.shop import cart, waitlist
from cll.shop.models import WaitlistStatus


def _session_or_404(slug: str) -> Session:
    try:
        return session_get_for(slug=slug)
    except Session.DoesNotExist:
        raise Http404("No such session.") from None


@login_required
@require_http_methods(["GET", "POST"])
def waitlist_join(request: HttpRequest, slug: str) -> HttpResponse:
    """Join the waiting list of a full session, for oneself or (a guardian) for a child.

    The session page's panel posts here directly (without a choice, the person joins for
    themselves); the page itself lets a guardian choose who will attend.
    """
    session = _session_or_404(slug)
    error = None
    status = 200
    chosen = request.POST.get("learner", "")
    if request.method == "POST":
        learner = waitlist.waitlist_learner_get_for(user=request.user, public_id=chosen)
        if learner is None:
            error, status = _("Choose who will attend the session."), 400
        else:
            try:
                waitlist.waitlist_join(
                    session=session,
                    learner=learner,
                    requested_by=request.user,
                    language=request.LANGUAGE_CODE,
                )
            except waitlist.WaitlistRefused as refused:
                error, status = refused.message, 409
            else:
                messages.success(
                    request,
                    _(
                        "You are on the waiting list. We will write to you as soon as a seat "
                        "is free."
                    ),
                )
                return redirect("shop:waitlist_list")
    closed = waitlist.waitlist_closed_reason(session=session)
    if error is not None and closed is not None and str(error) == str(closed):
        # Said once: the page explains why the list is closed.
        error = None
    return render(
        request,
        "shop/waitlist/join.html",
        {
            "session": session,
            "closed": closed,
            "learners": waitlist.waitlist_learners_for(user=request.user),
            "chosen": chosen or str(request.user.public_id),
            "error": error,
            "offer_hours": settings.WAITLIST_OFFER_HOURS,
        },
        status=status,
    )


@login_required
@require_safe
def waitlist_list(request: HttpRequest) -> HttpResponse:
    """My places on waiting lists (and my children's), with where each stands."""
    entries = list(waitlist.waitlist_list_for(user=request.user))
    for entry in entries:
        entry.for_name = (
            "" if entry.learner_id == request.user.pk else waitlist.learner_name(entry.learner)
        )
        entry.can_leave = not entry.enrolled and entry.status in (
            *waitlist.LIVE_STATUSES,
            WaitlistStatus.ACCEPTED,
        )
    return render(
        request,
        "shop/waitlist/list.html",
        {"entries": entries, "statuses": WaitlistStatus},
    )


@login_required
@require_POST
def waitlist_leave(request: HttpRequest, public_id) -> HttpResponse:
    """Leave a waiting list (an offered seat then goes to the next person)."""
    entry = waitlist.waitlist_entry_get_for(user=request.user, public_id=public_id)
    if entry is None:
        raise Http404("No such place on a waiting list.")
    try:
        waitlist.waitlist_leave(entry=entry, by=request.user)
    except waitlist.WaitlistRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("You have left the waiting list."))
    return redirect("shop:waitlist_list")


@require_http_methods(["GET", "POST"])
def waitlist_offer(request: HttpRequest, token: str) -> HttpResponse:
    """The e-mailed offer of a seat: GET shows it, POST takes it and goes to the cart.

    Only the account that joined may take it (the link alone is not enough: a forwarded
    e-mail must not give the seat to someone else), before it expires, once.
    """
    entry = waitlist.waitlist_offer_get(token=token)
    if entry is None:
        return render(request, "shop/waitlist/offer_invalid.html", status=404)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if entry.requested_by_id != request.user.pk:
        return render(request, "shop/waitlist/offer_not_yours.html", status=403)
    # The cart line names who attends: "" for the buyer, else the child's public id.
    line = cart.CartItem(
        entry.session.slug,
        "" if entry.learner_id == request.user.pk else str(entry.learner.public_id),
    )
    error = None
    if request.method == "POST":
        if line not in cart.cart_items(request.session) and (
            cart.cart_count(request.session) >= cart.MAX_LINES
        ):
            # Checked before the link is used: a full cart must not cost the person the seat.
            error = _("Your cart is full: remove a line from it, then take the seat.")
        else:
            try:
                entry = waitlist.waitlist_accept(token=token, user=request.user)
            except waitlist.OfferUnavailable:
                return render(request, "shop/waitlist/offer_invalid.html", status=404)
            except waitlist.OfferNotYours:
                return render(request, "shop/waitlist/offer_not_yours.html", status=403)
            cart.cart_add(request.session, session_slug=line.session_slug, learner=line.learner)
            messages.success(
                request,
                _("The seat is in your cart. Complete your order before the offer expires."),
            )
            return redirect("shop:cart")
    return render(
        request,
        "shop/waitlist/offer.html",
        {
            "entry": entry,
            "session": entry.session,
            "token": token,
            "error": error,
            "for_name": ""
            if entry.learner_id == request.user.pk
            else waitlist.learner_name(entry.learner),
        },
        status=409 if error else 200,
    )
