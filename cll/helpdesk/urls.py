"""Public pages of the helpdesk: /<language>/contact/ and the support portal /<language>/support/.

The visitor's link carries its secret as a ``<str:token>`` segment: the access log records it as
``<token>`` (cll/core/urlscrub.py).
"""

from django.urls import path

from cll.helpdesk import views

app_name = "helpdesk"
urlpatterns = [
    path("contact/", views.ticket_open, name="contact"),
    path("contact/sent/<str:reference>/", views.contact_sent, name="contact_sent"),
    path("support/", views.ticket_list, name="ticket_list"),
    path("support/<uuid:public_id>/", views.ticket_detail, name="ticket_detail"),
    path("support/<uuid:public_id>/close/", views.ticket_close, name="ticket_close"),
    path(
        "support/<uuid:public_id>/files/<uuid:file_id>/",
        views.attachment_download,
        name="attachment_download",
    ),
    path(
        "support/t/<uuid:public_id>/<str:token>/",
        views.ticket_by_token,
        name="ticket_by_token",
    ),
    path(
        "support/t/<uuid:public_id>/<str:token>/close/",
        views.ticket_by_token_close,
        name="ticket_by_token_close",
    ),
    path(
        "support/t/<uuid:public_id>/<str:token>/files/<uuid:file_id>/",
        views.attachment_by_token,
        name="attachment_by_token",
    ),
]
