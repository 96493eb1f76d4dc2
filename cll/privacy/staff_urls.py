"""Staff pages of the privacy app, under /<language>/staff/privacy/ (staff MFA middleware)."""

from django.urls import path  # noqa: F401

app_name = "privacy_staff"
urlpatterns: list = []
