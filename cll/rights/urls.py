from django.urls import path

from cll.rights import views

# Under /<lang>/account/: the privacy page and its actions, and a guardian's copy of a child's
# data beside the other child pages.
app_name = "rights"
urlpatterns = [
    path("privacy/", views.home, name="home"),
    path("privacy/export/", views.export_request, name="export_request"),
    path(
        "privacy/export/<uuid:public_id>/download/",
        views.export_download,
        name="export_download",
    ),
    path("privacy/restrict/", views.restriction_set, name="restriction_set"),
    path("privacy/restrict/lift/", views.restriction_lift, name="restriction_lift"),
    path("privacy/object/", views.objection_set, name="objection_set"),
    path("privacy/object/withdraw/", views.objection_withdraw, name="objection_withdraw"),
    path("children/<uuid:public_id>/export/", views.child_export, name="child_export"),
]
