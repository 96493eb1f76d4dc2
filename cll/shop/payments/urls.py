"""Payment pages, included by cll/shop/urls.py under "pay/" (namespace ``shop``)."""

from django.urls import path

from cll.shop.payments import views

urlpatterns = [
    # The provider's name is public (it is in the provider's dashboard): logged as is.
    path("webhook/<slug:provider>/", views.payment_webhook, name="payment_webhook"),
    path("<uuid:public_id>/", views.payment_return, name="payment_return"),
    path("<uuid:public_id>/retry/", views.payment_retry, name="payment_retry"),
    # The sandbox's own reference, as a provider's page would carry it.
    path("sandbox/<str:ref>/", views.sandbox_pay, name="sandbox_pay"),
]
