"""Pages of the consent app: the consent form target, the cookie settings page, past cookie
policies, the GPC statement and the staff's tag settings.

Why the consent form carries no CSRF token: the banner is on every page, and anonymous pages
are served from a shared page cache (cll/core/pagecache.py) that refuses any response using
the CSRF token. Forged cross-site choices are refused instead by an origin check
(``cll.lib.urls.same_origin``): the ``Origin`` header (sent by browsers with every POST), else
``Sec-Fetch-Site``, else a same-host ``Referer``, exactly what Django's CSRF check trusts first.
A request with none of them is refused.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import BadRequest, PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from cll.consent import registry, services
from cll.consent.forms import ConsentForm
from cll.consent.selectors import (
    ConsentState,
    consent_state,
    cookie_policy_version_get,
    cookie_policy_versions,
    max_age_seconds,
    minimised_ip,
)
from cll.core.ratelimit import window_hit
from cll.lib.urls import safe_next, same_origin

# The date our GPC support statement last changed (https://privacycg.github.io/gpc-spec/).
GPC_LAST_UPDATE = "2026-11-25"


def _over_rate(request: HttpRequest) -> bool:
    key = f"consent:rate:{minimised_ip(request)}:{int(time.time() // 60)}"
    # settings.CONSENT_RECORDS_PER_MINUTE: the evidence ledger's writers queue one after
    # another, a script posting choices in a loop must not flood it.
    return not window_hit(key, limit=settings.CONSENT_RECORDS_PER_MINUTE, seconds=120)


def _set_consent_cookie(
    response: HttpResponse, *, consent_id: str, categories: list[str] | None, objection: str
) -> None:
    response.set_cookie(
        registry.consent_cookie_name(),
        services.consent_cookie_value(
            consent_id=consent_id, categories=categories, objection=objection
        ),
        max_age=max_age_seconds(),
        path="/",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def _expire_refused_cookies(
    request: HttpRequest, response: HttpResponse, categories: list[str]
) -> None:
    """Expire our-domain cookies of every category not (or no longer) consented to.

    Google's tags are configured to write host-only cookies (``cookie_domain: "none"``), so a
    host-only deletion removes them; consent.js also removes parent-domain copies.
    """
    for category in registry.OPTIONAL_CATEGORIES:
        if category in categories:
            continue
        declared = registry.first_party_names_of(category)
        names = {c.name for c in declared if not c.prefix}
        names |= {name for name in request.COOKIES if any(c.matches(name) for c in declared)}
        for name in sorted(names):
            # An expired cookie with the flags of ours (Secure over HTTPS, HttpOnly, SameSite):
            # it carries no value, and scanners rightly expect the flags on every Set-Cookie.
            response.set_cookie(
                name,
                "",
                max_age=0,
                expires="Thu, 01 Jan 1970 00:00:00 GMT",
                path="/",
                samesite="Lax",
                secure=request.is_secure(),
                httponly=True,
            )


@csrf_exempt  # see the module docstring: an origin check replaces the token
@require_POST
def consent_save(request: HttpRequest) -> HttpResponse:
    """Record a cookie choice (banner or settings page) and go back where the visitor was."""
    if not same_origin(request):
        raise PermissionDenied
    form = ConsentForm(request.POST)
    if not form.is_valid():
        raise BadRequest("Invalid consent choice.")
    state = consent_state(request)
    categories = form.chosen_categories()
    action = form.cleaned_data["action"]
    next_url = safe_next(request, form.cleaned_data["next"], reverse("content:home"))
    conflicting = {registry.ANALYTICS, registry.ADVERTISING} & set(categories)
    if state.signal and conflicting and not form.cleaned_data["confirm"]:
        # Art. 21(5): the browser objects; an explicit acceptance must be confirmed first.
        return _confirm_page(request, form, state, categories, next_url)
    if _over_rate(request):
        return HttpResponse(status=429)
    consent_id = state.consent_id or services.consent_id_new()
    network = minimised_ip(request)
    user = request.user
    objection = state.objection
    route = "consent:save"
    how = (
        services.HOW_SETTINGS if form.cleaned_data["source"] == "settings" else services.HOW_BANNER
    )
    if state.signal and objection != state.signal:
        services.consent_objection_record(
            consent_id=consent_id, signal=state.signal, user=user, network=network, route=route
        )
        objection = state.signal
    services.consent_record(
        consent_id=consent_id,
        categories=categories,
        choice=services.WITHDRAWAL if action == "withdraw" else action,
        how=how,
        previous=list(state.chosen) if state.decided else None,
        user=user,
        network=network,
        signal=state.signal,
        route=route,
    )
    messages.success(request, _choice_saved_message(categories))
    response = HttpResponseRedirect(next_url)
    _set_consent_cookie(response, consent_id=consent_id, categories=categories, objection=objection)
    _expire_refused_cookies(request, response, categories)
    return response


def _choice_saved_message(categories: list[str]) -> str:
    """The confirmation shown on the next page: what the visitor now allows, in words."""
    if not categories:
        return gettext(
            "Your cookie choice is saved: only the strictly necessary cookies are used. You can "
            "change it at any time under “Cookie settings” at the bottom of every page."
        )
    return gettext(
        "Your cookie choice is saved. Allowed besides the strictly necessary cookies: "
        "%(categories)s. You can change it at any time under “Cookie settings” at the "
        "bottom of every page."
    ) % {"categories": ", ".join(str(registry.CATEGORY_LABELS[c]) for c in categories)}


def _confirm_page(request, form, state: ConsentState, categories, next_url) -> HttpResponse:
    response = render(
        request,
        "consent/confirm.html",
        {
            "signal": state.signal,
            "action": form.cleaned_data["action"],
            "categories": categories,
            "category_labels": [registry.CATEGORY_LABELS[c] for c in categories],
            "source": form.cleaned_data["source"],
            "next": next_url,
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt  # see the module docstring: an origin check replaces the token
@require_POST
def consent_signal(request: HttpRequest) -> HttpResponse:
    """Record the browser's DNT/GPC signal as an objection, once per consent id (consent.js
    calls it when the banner says the signal is honoured; without JavaScript it is recorded
    with the first choice)."""
    if not same_origin(request):
        raise PermissionDenied
    state = consent_state(request)
    response = HttpResponse(status=204)
    if not state.signal or state.objection == state.signal:
        return response
    if _over_rate(request):
        return HttpResponse(status=429)
    consent_id = state.consent_id or services.consent_id_new()
    services.consent_objection_record(
        consent_id=consent_id,
        signal=state.signal,
        user=request.user,
        network=minimised_ip(request),
        route="consent:signal",
    )
    _set_consent_cookie(
        response,
        consent_id=consent_id,
        categories=list(state.chosen) if state.decided else None,
        objection=state.signal,
    )
    return response


def _cookie_rows(cookies, translate=True) -> list[dict]:
    rows = []
    for cookie in cookies:
        data = cookie.snapshot() if isinstance(cookie, registry.Cookie) else cookie
        rows.append({**data, "purpose": gettext(data["purpose"]) if translate else data["purpose"]})
    return rows


@never_cache
@require_safe
def cookie_settings(request: HttpRequest) -> HttpResponse:
    """The cookie policy (generated from the registry) and the visitor's choices."""
    state = consent_state(request)
    sections = [
        {
            "key": category,
            "label": registry.CATEGORY_LABELS[category],
            "description": registry.CATEGORY_DESCRIPTIONS[category],
            "cookies": _cookie_rows(cookies),
            "chosen": state.decided and category in state.chosen,
            "allowed": state.allows(category),
        }
        for category, cookies in registry.by_category()
    ]
    versions = list(cookie_policy_versions()[:50])
    return render(
        request,
        "consent/cookie_settings.html",
        {
            "consent": state,
            "sections": sections,
            "optional_sections": [s for s in sections if s["key"] != registry.NECESSARY],
            "current_version": versions[0] if versions else None,
            "past_versions": versions[1:],
            "max_age_days": settings.CONSENT_MAX_AGE_DAYS,
        },
    )


@require_safe
def policy_version(request: HttpRequest, number: int) -> HttpResponse:
    """A published version of the cookie policy, as it was."""
    version = cookie_policy_version_get(number)
    if version is None:
        raise Http404
    sections = []
    for category in registry.CATEGORIES:
        rows = [c for c in version.snapshot.get("cookies", []) if c.get("category") == category]
        sections.append(
            {"label": registry.CATEGORY_LABELS[category], "cookies": _cookie_rows(rows)}
        )
    return render(
        request, "consent/policy_version.html", {"version": version, "sections": sections}
    )


@require_safe
def gpc_json(request: HttpRequest) -> JsonResponse:
    """Global Privacy Control support statement (https://privacycg.github.io/gpc-spec/)."""
    response = JsonResponse({"gpc": True, "lastUpdate": GPC_LAST_UPDATE})
    response["Cache-Control"] = "public, max-age=86400"
    return response
