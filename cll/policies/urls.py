"""Public pages of the policies app, under /<language>/: the current privacy policy and terms,
every published version, and the answers to a change."""

from django.urls import path

from cll.policies import views

app_name = "policies"
urlpatterns = [
    path("privacy/", views.privacy_policy, name="privacy_policy"),
    path("terms/", views.terms, name="terms"),
    path("policies/respond/<uuid:public_id>/", views.respond, name="respond"),
    path("policies/choices/", views.choices, name="choices"),
    # Versions are public texts: kept in logs (cll/core/urlscrub.py).
    path("policies/<slug:kind>/<public:version>/", views.version_detail, name="version_detail"),
]
