"""Staff pages of the analytics app, under /<language>/staff/analytics/ (staff MFA middleware)."""

from django.urls import path

from cll.analytics import staff_views

app_name = "analytics_staff"
urlpatterns = [
    path("", staff_views.dashboard, name="dashboard"),
    path("export.csv", staff_views.dashboard_export, name="export"),
]
