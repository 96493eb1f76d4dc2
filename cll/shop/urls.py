"""Public and account pages of the shop, under /<language>/shop/ (namespace ``shop``).

Orders are reached by their random ``public_id`` (a UUID), never a primary key, and only by
their buyer (``selectors.order_get_for``)."""

from django.urls import include, path

from cll.shop import views

app_name = "shop"
urlpatterns = [
    # The cart and the checkout (views.py).
    path("cart/", views.cart_view, name="cart"),
    path("cart/add/", views.cart_add, name="cart_add"),
    path("cart/remove/", views.cart_remove, name="cart_remove"),
    path("checkout/", views.checkout, name="checkout"),
    # My orders, enrolments and timetable (views.py).
    path("orders/", views.order_list, name="order_list"),
    path("orders/<uuid:public_id>/", views.order_detail, name="order_detail"),
    path("orders/<uuid:public_id>/pay/", views.order_pay, name="order_pay"),
    path("orders/<uuid:public_id>/cancel/", views.order_cancel, name="order_cancel"),
    path("orders/<uuid:public_id>/withdraw/", views.order_withdraw, name="order_withdraw"),
    path("enrolments/", views.enrolment_list, name="enrolment_list"),
    path("timetable/", views.timetable, name="timetable"),
    path("timetable/cll-timetable.ics", views.timetable_ics, name="timetable_ics"),
    # Billing cases: quote requests and fraudulent-debit reports (case_urls.py).
    path("", include("cll.shop.case_urls")),
    # Waiting lists (waitlist_urls.py).
    path("", include("cll.shop.waitlist_urls")),
    # Payment pages and provider webhooks (payments/urls.py).
    path("pay/", include("cll.shop.payments.urls")),
]
