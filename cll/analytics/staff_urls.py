"""Staff pages of the analytics app, under /<language>/staff/analytics/ (staff MFA middleware)."""

from django.urls import path

from cll.analytics import views

app_name = "analytics_staff"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("export.csv", views.dashboard_export, name="export"),
]
