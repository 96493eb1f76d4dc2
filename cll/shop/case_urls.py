"""Billing cases and invoice downloads, under /<language>/shop/ (namespace ``shop``)."""

from django.urls import path

from cll.shop import case_views

urlpatterns = [
    path("quote/", case_views.quote_request, name="quote_request"),
    path("quote/sent/", case_views.quote_received, name="quote_received"),
    path("fraudulent-debit/", case_views.fraud_report, name="fraud_report"),
    path("fraudulent-debit/sent/", case_views.fraud_received, name="fraud_received"),
    # The number is not secret, the access is checked (the buyer only); logged as <number>.
    path("invoices/<str:number>.pdf", case_views.invoice_download, name="invoice_download"),
]
