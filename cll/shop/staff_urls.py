"""Staff pages of the shop, under /<language>/staff/shop/ (covered by the staff MFA middleware).

Orders and sessions are named by their random public id and slug, a lesson by its date and
start time, an invoice by its number within its order: never a database key."""

from django.urls import path

from cll.shop import staff_views

app_name = "shop_staff"
urlpatterns = [
    # Billing.
    path("orders/", staff_views.order_list, name="order_list"),
    path("orders/<uuid:public_id>/", staff_views.order_detail, name="order_detail"),
    path(
        "orders/<uuid:public_id>/payments/<uuid:payment_id>/refund/",
        staff_views.refund_create,
        name="refund_create",
    ),
    path(
        "orders/<uuid:public_id>/invoices/<slug:number>/",
        staff_views.invoice_pdf,
        name="invoice_pdf",
    ),
    path("export/", staff_views.accounting_export, name="accounting_export"),
    path("quotes/", staff_views.quote_list, name="quote_list"),
    path("quotes/<uuid:public_id>/", staff_views.quote_detail, name="quote_detail"),
    path("quotes/<uuid:public_id>/close/", staff_views.quote_close, name="quote_close"),
    path("fraud-reports/", staff_views.fraud_list, name="fraud_list"),
    path("fraud-reports/<uuid:public_id>/", staff_views.fraud_detail, name="fraud_detail"),
    path("fraud-reports/<uuid:public_id>/close/", staff_views.fraud_close, name="fraud_close"),
    # Teachers.
    path("classes/", staff_views.class_list, name="class_list"),
    path("classes/<slug:slug>/", staff_views.class_roster, name="class_roster"),
    path(
        "classes/<slug:slug>/attendance/<slug:lesson>/",
        staff_views.class_attendance,
        name="class_attendance",
    ),
    # Customer service.
    path("enrolments/", staff_views.enrolment_sessions, name="enrolment_sessions"),
    path("enrolments/<slug:slug>/", staff_views.enrolment_list, name="enrolment_list"),
]
