"""Staff pages of the dsar app, under /<language>/staff/dsar/ (staff MFA middleware)."""

from django.urls import path  # noqa: F401

app_name = "dsar_staff"
urlpatterns: list = []
