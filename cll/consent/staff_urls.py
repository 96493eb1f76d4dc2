"""Staff pages of the consent app, under /<language>/staff/tags/."""

from django.urls import path

from cll.consent import staff_views

app_name = "consent_staff"
urlpatterns = [
    path("", staff_views.tags_edit, name="tags_edit"),
]
