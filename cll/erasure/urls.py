from django.urls import path

from cll.erasure import views

app_name = "erasure"
urlpatterns = [
    path("", views.erasure_request, name="request"),
    path("scheduled/", views.scheduled, name="scheduled"),
    path("cancel/<str:token>/", views.cancel, name="cancel"),
]
