from django.urls import path

from cll.newsletter import staff_views

app_name = "newsletter_staff"
urlpatterns = [
    path("campaigns/", staff_views.campaign_list, name="campaign_list"),
    path("campaigns/new/", staff_views.campaign_create, name="campaign_create"),
    path("campaigns/<uuid:public_id>/", staff_views.campaign_detail, name="campaign_detail"),
    path("campaigns/<uuid:public_id>/edit/", staff_views.campaign_edit, name="campaign_edit"),
    path(
        "campaigns/<uuid:public_id>/preview/<slug:language>/",
        staff_views.campaign_preview,
        name="campaign_preview",
    ),
    path(
        "campaigns/<uuid:public_id>/preview/<slug:language>/message/",
        staff_views.campaign_preview_message,
        name="campaign_preview_message",
    ),
    path(
        "campaigns/<uuid:public_id>/test/",
        staff_views.campaign_test_send,
        name="campaign_test_send",
    ),
    path(
        "campaigns/<uuid:public_id>/schedule/",
        staff_views.campaign_schedule,
        name="campaign_schedule",
    ),
    path("campaigns/<uuid:public_id>/send/", staff_views.campaign_send, name="campaign_send"),
    path("campaigns/<uuid:public_id>/cancel/", staff_views.campaign_cancel, name="campaign_cancel"),
    path("lists/", staff_views.list_index, name="list_index"),
    path("lists/<slug:slug>/", staff_views.list_subscribers, name="list_subscribers"),
    path("lists/<slug:slug>/export/", staff_views.list_export, name="list_export"),
    path("subscribers/written/", staff_views.subscriber_written, name="subscriber_written"),
    path(
        "subscribers/agreements/<uuid:public_id>/",
        staff_views.agreement_document,
        name="agreement_document",
    ),
    path("subscribers/import/", staff_views.subscriber_import, name="subscriber_import"),
]
