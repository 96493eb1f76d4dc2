"""Staff pages of the policies app, under /<language>/staff/policies/ (staff MFA middleware)."""

from django.urls import path

from cll.policies import staff_views

app_name = "policies_staff"
urlpatterns = [
    path("", staff_views.version_list, name="version_list"),
    path("new/", staff_views.version_create, name="version_create"),
    path("<uuid:public_id>/", staff_views.version_edit, name="version_edit"),
    path("<uuid:public_id>/preview/", staff_views.version_preview, name="version_preview"),
]
