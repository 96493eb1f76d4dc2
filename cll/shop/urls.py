from django.urls import include, path

app_name = "shop"
urlpatterns = [
    # Billing cases: quote requests and fraudulent-debit reports (case_urls.py).
    path("", include("cll.shop.case_urls")),
    # Waiting lists (waitlist_urls.py).
    path("", include("cll.shop.waitlist_urls")),
    # Payment pages and provider webhooks (payments/urls.py).
    path("pay/", include("cll.shop.payments.urls")),
]
