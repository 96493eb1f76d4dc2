"""Public and account pages of the shop: thin (a selector or a service, then a template).

- The session page's enrol panel (``session_enrol_panel``, registered with the catalogue's
  ``hooks`` in ``apps.py``): free seats and the states full / started / ended / by quote.
- The cart (``cart``, ``cart_add``, ``cart_remove``) and the checkout (``checkout``), which
  places the order (``services.order_place``) and sends the buyer to the payment provider
  (``payments.services.payment_start``).
- The account's pages: my orders (``order_list``, ``order_detail``, pay, cancel, withdraw),
  my enrolments (``enrolment_list``) and my timetable (``timetable``, ``timetable_ics``).

Why "add to cart" carries no CSRF token: the session page is served to anonymous visitors
from the shared page cache (cll/core/pagecache.py), which refuses any response that uses the
CSRF token. As for the cookie banner (cll/consent/views.py), forged cross-site posts are
refused by an origin check instead (``cll.lib.urls.same_origin``: ``Origin``, else
``Sec-Fetch-Site``, else a same-host ``Referer``); besides, the session cookie is
``SameSite=Lax``, so a cross-site post could only ever fill a fresh, empty session. Every
other form of the shop carries the token.

Pages for a signed-in person are never stored (``never_cache``, and the no-store middleware).
"""

from __future__ import annotations

import hashlib
import time
import uuid
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_countries import countries
from icalendar import Calendar, Event

from cll.accounts.selectors import profile_get_for
from cll.core.ratelimit import window_hit
from cll.courses.hooks import Panel
from cll.courses.models import Session
from cll.lib.clientip import request_client_ip
from cll.lib.urls import same_origin, view_route
from cll.policies.selectors import policy_version_current
from cll.shop import cart, selectors, services
from cll.shop.forms import CartAddForm, CartRemoveForm, CheckoutForm
from cll.shop.models import OrderStatus
from cll.shop.payments import services as payment_services
from cll.shop.recommendations import recommendation_list_for

# "Add to cart" writes a session row for a new visitor: a script posting in a loop must not
# fill the sessions table. Per client IP and minute.
CART_ADDS_PER_MINUTE = 30


def _over_rate(request: HttpRequest) -> bool:
    ip = hashlib.sha256(request_client_ip(request).encode()).hexdigest()[:16]
    key = f"shop:cart-add:{ip}:{int(time.time() // 60)}"
    return not window_hit(key, limit=CART_ADDS_PER_MINUTE, seconds=120)


def _has_session(request: HttpRequest) -> bool:
    # Without the cookie there is no session to read (and reading none keeps the page
    # cacheable for anonymous visitors).
    return settings.SESSION_COOKIE_NAME in request.COOKIES


# -- The session page's panel -----------------------------------------------------------------


def session_enrol_panel(request: HttpRequest, session: Session) -> Panel | None:
    """What the session page shows about enrolling: free seats and what can be done.

    For an anonymous visitor it depends on the session alone (the page is cached for them);
    a signed-in guardian also chooses who attends, and sees who already has a seat.
    """
    today = timezone.localdate()
    if session.ends_on < today:
        return None
    user = request.user
    choices = selectors.learner_choice_list_for(user=user) if user.is_authenticated else []
    # A seat offered from the waiting list to the person (or their child) is free for them.
    seats = selectors.seats_left(
        session=session, exclude_learners=[choice.user.pk for choice in choices]
    )
    state = selectors.session_availability(session=session, seats=seats, today=today)
    context: dict = {
        "session": session,
        "state": state,
        "seats": seats,
        "started": session.starts_on < today,
        # None: anyone (an anonymous visitor enrols themself once signed in).
        "choices": None,
    }
    if choices and state != selectors.Availability.QUOTE:
        holders = selectors.seat_holders_among(
            pairs=[(session.pk, choice.user.pk) for choice in choices]
        )
        held = {learner for _session, learner in holders}
        context["choices"] = [choice for choice in choices if choice.user.pk not in held]
        context["holders"] = [choice.label for choice in choices if choice.user.pk in held]
    if _has_session(request):
        in_cart = [
            item for item in cart.cart_items(request.session) if item.session_slug == session.slug
        ]
        context["in_cart"] = bool(in_cart)
    return Panel("shop/includes/session_panel.html", context)


# -- Cart ---------------------------------------------------------------------------------


@never_cache
@require_GET
def cart_view(request: HttpRequest) -> HttpResponse:
    """The cart: its lines with today's prices and seats, each removable, and the total."""
    items = cart.cart_items(request.session) if _has_session(request) else []
    user = request.user if request.user.is_authenticated else None
    contents = selectors.cart_contents_for(items=items, user=user)
    shown = {line.key for line in contents.lines}
    gone = {item.key for item in items} - shown
    if gone:
        # Sessions deleted from the catalogue: nothing to show or sell.
        cart.cart_remove(request.session, keys=gone)
    return render(request, "shop/cart.html", {"contents": contents, **_vat_context()})


@csrf_exempt  # an origin check instead: see the module docstring
@require_POST
def cart_add(request: HttpRequest) -> HttpResponse:
    """Add a seat in a session for the buyer or one of their children, then show the cart."""
    if not same_origin(request):
        raise PermissionDenied
    if _over_rate(request):
        return HttpResponse(status=429)
    form = CartAddForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("This session could not be added to your cart."))
        return redirect("courses:session_list")
    session = selectors.buyable_session_get_for(slug=form.cleaned_data["session"])
    if session is None:
        raise Http404("No such session.")
    back = session.get_absolute_url()
    refusal = selectors.session_refusal(session=session)
    if refusal:
        messages.error(request, refusal)
        return redirect(back)
    value = form.cleaned_data["learner"]
    if request.user.is_authenticated:
        learner = selectors.learner_get_for(user=request.user, value=value)
        if learner is None:
            messages.error(request, _("Please choose who will attend from the list."))
            return redirect(back)
        value = "" if learner.pk == request.user.pk else str(learner.public_id)
        if selectors.seat_holders_among(pairs=[(session.pk, learner.pk)]):
            messages.error(request, _("This learner already has a place in this session."))
            return redirect(back)
    elif value:
        # Only a signed-in guardian can enrol a child.
        messages.error(request, _("Please sign in to enrol your child."))
        return redirect(back)
    # Signed in: a seat the waiting list offered to this learner is theirs to take.
    offered_to = [learner.pk] if request.user.is_authenticated else []
    if selectors.seats_left(session=session, exclude_learners=offered_to) <= 0:
        messages.error(request, _("This session is full."))
        return redirect(back)
    try:
        added = cart.cart_add(request.session, session_slug=session.slug, learner=value)
    except cart.CartFull:
        messages.error(
            request,
            _("Your cart is full (%(count)d places). Please order these first.")
            % {"count": cart.MAX_LINES},
        )
        return redirect("shop:cart")
    if added:
        messages.success(request, _("The session is in your cart."))
    else:
        messages.info(request, _("This session is already in your cart."))
    return redirect("shop:cart")


@require_POST
def cart_remove(request: HttpRequest) -> HttpResponse:
    form = CartRemoveForm(request.POST)
    removed = (
        form.is_valid()
        and _has_session(request)
        and cart.cart_remove(request.session, keys={form.cleaned_data["line"]})
    )
    if removed:
        messages.success(request, _("The session has been removed from your cart."))
    return redirect("shop:cart")


# -- Checkout -----------------------------------------------------------------------------


def _billing_initial(user) -> dict:
    """The name and address on the invoice, proposed from the buyer's own profile."""
    profile = profile_get_for(user=user)
    if profile is None:
        return {}
    name = f"{profile.first_name} {profile.last_name}".strip()
    town = f"{profile.postcode} {profile.city}".strip()
    country = str(countries.name(profile.country)) if profile.country else ""
    address = "\n".join(part for part in (profile.street, town, country) if part)
    return {"billing_name": name, "billing_address": address}


def _pay(request: HttpRequest, order) -> HttpResponse:
    """Send the buyer to the payment provider's page for ``order``; if it cannot be opened,
    back to the order, whose seats stay held until its hold ends."""
    try:
        url = payment_services.payment_start(order=order, request=request)
    except payment_services.PaymentNotPossible as exc:
        messages.error(request, exc.message)
        return redirect("shop:order_detail", public_id=order.public_id)
    # The provider's hosted page (an address our adapter got from the provider, not input).
    return HttpResponseRedirect(url)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def checkout(request: HttpRequest) -> HttpResponse:
    """Confirm the cart, the invoice's name and address, the general terms and the withdrawal
    information, then place the order and go to the payment page.

    What is ordered is the cart in the session as the page showed it (``cart_digest``): a cart
    changed meanwhile, a price changed, a session that filled up or a change of the terms is
    refused with a message and nothing is saved.
    """
    items = cart.cart_items(request.session)
    if not items:
        messages.info(
            request,
            _("Your cart is empty. It may have expired: add the sessions again from their pages."),
        )
        return redirect("shop:cart")
    contents = selectors.cart_contents_for(items=items, user=request.user)
    terms_version = policy_version_current("terms")
    offered = contents.starts_within_withdrawal
    if request.method == "POST":
        form = CheckoutForm(request.POST, early_start_offered=offered)
        if form.is_valid():
            response = _checkout_submit(request, form, contents)
            if response is not None:
                return response
            # Show the cart as it is now, with what the buyer typed.
            data = request.POST.copy()
            data["cart_digest"] = contents.digest
            data["terms_version"] = terms_version
            form = CheckoutForm(data, early_start_offered=offered)
    else:
        initial = {
            **_billing_initial(request.user),
            "cart_digest": contents.digest,
            "terms_version": terms_version,
        }
        form = CheckoutForm(initial=initial, early_start_offered=offered)
    return render(
        request,
        "shop/checkout.html",
        {
            "form": form,
            "contents": contents,
            "terms_version": terms_version,
            "hold_minutes": settings.SHOP_SEAT_HOLD_MINUTES,
            **_vat_context(),
        },
    )


def _checkout_submit(request: HttpRequest, form: CheckoutForm, contents) -> HttpResponse | None:
    """Place the order of a valid checkout form; None to show the page again with a message."""
    data = form.cleaned_data
    if data["cart_digest"] != contents.digest:
        messages.error(
            request,
            _(
                "Your cart changed since this page was shown (a session, a learner or a price). "
                "Please check it and confirm again."
            ),
        )
        return None
    if contents.problems:
        messages.error(request, _("Some sessions in your cart cannot be ordered: see below."))
        return None
    try:
        order = services.order_place(
            buyer=request.user,
            lines=[services.LineRequest(line.session, line.learner) for line in contents.lines],
            language=translation.get_language(),
            terms_version=data["terms_version"],
            early_start_requested=data.get("early_start", False),
            billing_name=data["billing_name"],
            billing_address=data["billing_address"],
            route=view_route(request),
        )
    except services.SeatsUnavailable as refused:
        full = {session.pk for session in refused.sessions}
        cart.cart_remove(
            request.session, keys={line.key for line in contents.lines if line.session.pk in full}
        )
        removed = _("We removed it from your cart.")
        messages.error(request, f"{refused.message} {removed}")
        return redirect("shop:cart")
    except services.OrderRefused as refused:
        messages.error(request, refused.message)
        return None
    cart.cart_remove(request.session, keys={line.key for line in contents.lines})
    return _pay(request, order)


# -- My orders --------------------------------------------------------------------------------


def _with_learners(orders, user) -> list[dict]:
    """Each order with its lines and who attends each (the buyer or one of their children, by
    the names the buyer knows; a learner no longer linked to the buyer shows as a dash)."""
    choices = selectors.learner_choice_list_for(user=user)
    labels = {choice.user.pk: choice.label for choice in choices}
    return [
        {
            "order": order,
            "lines": [(line, labels.get(line.learner_id, "—")) for line in order.lines.all()],
            "invoices": list(order.invoices.all()),
        }
        for order in orders
    ]


def _vat_context() -> dict:
    rate = settings.SHOP_VAT_RATE_BP
    return {
        "vat_rate_bp": rate,
        "vat_rate_percent": number_format(Decimal(rate) / 100, use_l10n=True),
    }


def _order_or_404(request: HttpRequest, public_id: uuid.UUID):
    order = selectors.order_get_for(user=request.user, public_id=public_id)
    if order is None:
        raise Http404("No such order.")
    return order


@login_required
@never_cache
@require_GET
def order_list(request: HttpRequest) -> HttpResponse:
    """My orders: status, lines, totals and invoices, newest first."""
    return render(
        request,
        "shop/order_list.html",
        {"orders": _with_learners(selectors.order_list_for(user=request.user), request.user)},
    )


@login_required
@never_cache
@require_GET
def order_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """One of my orders, with what can still be done: pay or cancel it while it awaits
    payment, withdraw within 14 days once paid."""
    order = _order_or_404(request, public_id)
    now = timezone.now()
    pending = order.status == OrderStatus.PENDING
    withdrawal = (
        services.order_withdrawal_quote(order=order, now=now)
        if order.status == OrderStatus.PAID
        else None
    )
    return render(
        request,
        "shop/order_detail.html",
        {
            **_with_learners([order], request.user)[0],
            "can_pay": pending and order.hold_until > now,
            "can_cancel": pending,
            "withdrawal": withdrawal,
        },
    )


@login_required
@require_POST
def order_pay(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Go (again) to the payment page of an order awaiting payment."""
    order = _order_or_404(request, public_id)
    return _pay(request, order)


@login_required
@require_POST
def order_cancel(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Give up an order awaiting payment: its seats are released."""
    order = _order_or_404(request, public_id)
    if services.order_cancel(order=order, actor=request.user):
        messages.success(request, _("Your order has been cancelled and its places released."))
    else:
        messages.error(
            request, _("This order is no longer awaiting payment: it cannot be cancelled.")
        )
    return redirect("shop:order_detail", public_id=order.public_id)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def order_withdraw(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """The 14-day withdrawal: GET explains what it means for this order, POST confirms."""
    order = _order_or_404(request, public_id)
    if request.method == "POST":
        try:
            quote = services.order_withdraw(
                order=order, actor=request.user, route=view_route(request)
            )
        except services.OrderRefused as refused:
            messages.error(request, refused.message)
        else:
            messages.success(
                request,
                _(
                    "Your withdrawal has been recorded and confirmed by e-mail. The refund is "
                    "on its way."
                )
                if quote.refund_cents
                else _("Your withdrawal has been recorded and confirmed by e-mail."),
            )
        return redirect("shop:order_detail", public_id=order.public_id)
    quote = services.order_withdrawal_quote(order=order)
    return render(
        request,
        "shop/order_withdraw.html",
        {"order": order, "withdrawal": quote},
    )


# -- My enrolments and timetable -------------------------------------------------------------


@login_required
@never_cache
@require_GET
def enrolment_list(request: HttpRequest) -> HttpResponse:
    """My enrolments, and those of the children I am the guardian of."""
    rows = selectors.enrolment_list_for(user=request.user, route=view_route(request))
    # Sessions that may suit the learner next (nothing when switched off or restricted).
    suggested = recommendation_list_for(user=request.user)
    return render(request, "shop/enrolment_list.html", {"rows": rows, "recommendations": suggested})


@login_required
@never_cache
@require_GET
def timetable(request: HttpRequest) -> HttpResponse:
    """The lessons of my active enrolments (and my children's), from today on, by date."""
    entries = selectors.timetable_for(
        user=request.user, route=view_route(request), since=timezone.localdate()
    )
    return render(request, "shop/timetable.html", {"entries": entries})


@login_required
@never_cache
@require_GET
def timetable_ics(request: HttpRequest) -> HttpResponse:
    """The same lessons as an iCalendar file (RFC 5545), every lesson of the enrolments."""
    entries = selectors.timetable_for(user=request.user, route=view_route(request))
    calendar = Calendar()
    calendar.add("prodid", "-//CLL Centres de Langues//Timetable//FR")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", _("My CLL timetable"))
    stamp = timezone.now()
    host = request.get_host().split(":")[0] or "cll"
    for entry in entries:
        event = Event()
        # Stable per lesson and learner, so a calendar that imports the file again updates
        # its events instead of doubling them; the learner appears only as a digest.
        who = hashlib.sha256(entry.learner_key.encode()).hexdigest()[:10]
        event.add("uid", f"{entry.session.slug}-{entry.course.anchor}-{who}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", entry.starts)
        event.add("dtend", entry.ends)
        summary = str(entry.session.title)
        if entry.learner_label and entry.is_child:
            summary = f"{summary} ({entry.learner_label})"
        event.add("summary", summary)
        event.add("location", entry.session.site.address or str(entry.session.site.name))
        event.add("url", request.build_absolute_uri(entry.session.get_absolute_url()))
        calendar.add_component(event)
    calendar.add_missing_timezones()
    response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="cll-timetable.ics"'
    return response
