"""Staff pages of the dsar app, under /<language>/staff/requests/ (staff MFA middleware)."""

from django.urls import path

from cll.dsar import staff_views

app_name = "dsar_staff"
urlpatterns = [
    path("", staff_views.request_list, name="request_list"),
    path("new/", staff_views.request_new, name="request_new"),
    path("<uuid:public_id>/", staff_views.request_detail, name="request_detail"),
    path("<uuid:public_id>/extend/", staff_views.request_extend, name="request_extend"),
    path("<uuid:public_id>/reject/", staff_views.request_reject, name="request_reject"),
    path("<uuid:public_id>/complete/", staff_views.request_complete, name="request_complete"),
    path("<uuid:public_id>/fulfil/", staff_views.request_fulfil, name="request_fulfil"),
    path(
        "<uuid:public_id>/notified/<slug:recipient>/",
        staff_views.notice_done,
        name="notice_done",
    ),
]
