from django.urls import path

from cll.erasure import views

# Under /<lang>/account/, beside the accounts app's pages.
app_name = "erasure"
urlpatterns = [
    path("profile/delete/", views.account_delete_view, name="account_delete"),
    path("children/<uuid:public_id>/delete/", views.child_delete, name="child_delete"),
    path("erase/", views.erasure_request, name="request"),
    path("erase/scheduled/", views.scheduled, name="scheduled"),
    path("erase/cancel/<str:token>/", views.cancel, name="cancel"),
]
