"""Staff pages of the policies app, under /<language>/staff/policies/ (staff MFA middleware)."""

from django.urls import path  # noqa: F401

app_name = "policies_staff"
urlpatterns: list = []
