"""Staff pages of the consent app, under /<language>/staff/consent/ (staff MFA middleware)."""

from django.urls import path  # noqa: F401

app_name = "consent_staff"
urlpatterns: list = []
