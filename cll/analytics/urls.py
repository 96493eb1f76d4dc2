"""Public URLs of the analytics app, under /<language>/go/: the exit redirect."""

from django.urls import path

from cll.analytics import views

app_name = "analytics"
urlpatterns = [
    path("<str:token>/", views.exit_redirect, name="exit"),
]
