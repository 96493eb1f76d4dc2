from django.urls import path

from cll.rights import views

app_name = "rights"
urlpatterns = [
    path("", views.home, name="home"),
    path("export/", views.export_request, name="export_request"),
    path("export/<uuid:public_id>/download/", views.export_download, name="export_download"),
    path("restrict/", views.restriction_set, name="restriction_set"),
    path("restrict/lift/", views.restriction_lift, name="restriction_lift"),
    path("object/", views.objection_set, name="objection_set"),
    path("object/withdraw/", views.objection_withdraw, name="objection_withdraw"),
]
