from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from cll.accounts import staff
from cll.accounts import urls as accounts_urls
from cll.consent import views as consent_views
from cll.core import views as core_views

# The admin's own login form would skip allauth (rate limits, second factor): send people to ours.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("health", core_views.health, name="health"),
    path(".well-known/gpc.json", consent_views.gpc_json, name="gpc_json"),
    # The admin speaks the visitor's language under /<language>/admin/ (below); this sends
    # /admin/... there (cll/accounts/staff.py).
    path("admin/", staff.admin_redirect),
    path("admin/<path:rest>", staff.admin_redirect),
]
urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    path("", include("cll.content.urls")),
    path("", include("cll.courses.urls")),
    # Accounts: our pages (profile, privacy rights, erasure), then django-allauth's (login,
    # signup, verification, password reset), which has the most patterns: a request is
    # resolved through this list in order, so allauth's are tried last (no path is in both).
    path("account/", include("cll.accounts.urls")),
    path("account/", include("cll.rights.urls")),
    path("account/", include("cll.erasure.urls")),
    path("account/", include(accounts_urls.allauth_overrides)),
    path("account/", include("allauth.urls")),
    # Staff pages (a staff role and a second factor required, see cll/accounts/staff.py).
    path("staff/", include("cll.accounts.staff_urls")),
    path("staff/requests/", include("cll.dsar.staff_urls")),
    path("staff/privacy/", include("cll.privacy.staff_urls")),
    path("staff/privacy/breaches/", include("cll.breaches.staff_urls")),
    path("staff/analytics/", include("cll.analytics.staff_urls")),
    path("staff/policies/", include("cll.policies.staff_urls")),
    path("staff/tags/", include("cll.consent.staff_urls")),
    path("staff/shop/", include("cll.shop.staff_urls")),
    path("staff/newsletter/", include("cll.newsletter.staff_urls")),
    path("staff/helpdesk/", include("cll.helpdesk.staff_urls")),
    path("staff/chat/", include("cll.chat.staff_urls")),
    path("staff/feedback/", include("cll.feedback.staff_urls")),
    # Privacy requests, consent, policies (public and self-service pages).
    path("privacy-requests/", include("cll.dsar.urls")),
    path("", include("cll.consent.urls")),
    path("", include("cll.policies.urls")),
    path("go/", include("cll.analytics.urls")),
    path("shop/", include("cll.shop.urls")),
    path("newsletter/", include("cll.newsletter.urls")),
    # The contact page and form, the support portal (tickets).
    path("", include("cll.helpdesk.urls")),
    path("chat/", include("cll.chat.urls")),
    path("feedback/", include("cll.feedback.urls")),
    path("placement-test/", include("cll.placement.urls")),
    prefix_default_language=True,
)

if settings.BENCHMARK_HELLO:
    urlpatterns.append(path("bench/hello", core_views.hello))

handler400 = "cll.core.views.bad_request"
handler403 = "cll.core.views.permission_denied"
handler404 = "cll.core.views.page_not_found"
handler500 = "cll.core.views.server_error"
