"""Public pages of the policies app, under /<language>/policies/ (the current versions are at
content:privacy_policy and content:terms)."""

from django.urls import path

from cll.policies import views

app_name = "policies"
urlpatterns = [
    path("respond/<uuid:public_id>/", views.respond, name="respond"),
    path("choices/", views.choices, name="choices"),
    # Versions are public texts: kept in logs (cll/core/urlscrub.py).
    path("<slug:kind>/<public:version>/", views.version_detail, name="version_detail"),
]
