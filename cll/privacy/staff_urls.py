"""Staff pages of the privacy app, under /<language>/staff/privacy/ (staff MFA middleware). The
breach register is served under breaches/ by its own app (cll/breaches/staff_urls.py)."""

from django.urls import path

from cll.privacy import staff_views

app_name = "privacy_staff"
urlpatterns = [
    path("", staff_views.home, name="home"),
    path("record-of-processing/", staff_views.ropa_page, name="ropa"),
    path("record-of-processing.csv", staff_views.ropa_csv, name="ropa_csv"),
    path("record-of-processing.json", staff_views.ropa_json, name="ropa_json"),
    path("retention/", staff_views.retention_preview, name="retention"),
]
