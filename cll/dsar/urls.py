"""Public pages of the dsar app, under /<language>/privacy-requests/."""

from django.urls import path

from cll.dsar import views

app_name = "dsar"
urlpatterns = [
    path("", views.request_new, name="request_new"),
    path("sent/", views.request_sent, name="request_sent"),
    path("received/", views.request_received, name="request_received"),
    path("verify/<str:token>/", views.request_verify, name="request_verify"),
]
