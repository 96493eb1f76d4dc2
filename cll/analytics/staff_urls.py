"""Staff pages of the analytics app, under /<language>/staff/analytics/ (staff MFA middleware)."""

from django.urls import path  # noqa: F401

app_name = "analytics_staff"
urlpatterns: list = []
