"""Staff pages of the consent app, under /<language>/staff/tags/."""

from django.urls import path

from cll.consent import views

app_name = "consent_staff"
urlpatterns = [
    path("", views.tags_edit, name="tags_edit"),
]
