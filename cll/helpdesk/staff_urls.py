"""Staff console of the helpdesk, under /<language>/staff/helpdesk/ (Customer service and the
Administrator; covered by the staff MFA middleware).

Tickets, canned replies and attachments are named by their random public id, never a
database key."""

from django.urls import path

from cll.helpdesk import staff_views

app_name = "helpdesk_staff"
urlpatterns = [
    path("", staff_views.ticket_list, name="ticket_list"),
    path("new/", staff_views.ticket_open, name="ticket_open"),
    path("tickets/<uuid:public_id>/", staff_views.ticket_detail, name="ticket_detail"),
    path("tickets/<uuid:public_id>/reply/", staff_views.ticket_reply, name="ticket_reply"),
    path("tickets/<uuid:public_id>/note/", staff_views.ticket_note, name="ticket_note"),
    path("tickets/<uuid:public_id>/assign/", staff_views.ticket_assign, name="ticket_assign"),
    path("tickets/<uuid:public_id>/status/", staff_views.ticket_status, name="ticket_status"),
    path("tickets/<uuid:public_id>/priority/", staff_views.ticket_priority, name="ticket_priority"),
    path(
        "tickets/<uuid:public_id>/files/<uuid:upload_id>/",
        staff_views.ticket_attachment,
        name="ticket_attachment",
    ),
    path("canned/", staff_views.canned_reply_list, name="canned_reply_list"),
    path("canned/new/", staff_views.canned_reply_create, name="canned_reply_create"),
    path("canned/<uuid:public_id>/", staff_views.canned_reply_edit, name="canned_reply_edit"),
    path(
        "canned/<uuid:public_id>/delete/",
        staff_views.canned_reply_delete,
        name="canned_reply_delete",
    ),
]
