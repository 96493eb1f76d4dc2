"""Test URLconf: the site, plus the OpenID Connect provider of tests/oidc/provider.py at /o/."""

from django.urls import include, path

from cll.urls import *  # noqa: F403
from cll.urls import urlpatterns as site_urlpatterns
from tests.oidc import provider

urlpatterns = [
    path("o/login/", provider.provider_login),
    path("o/authorize/", provider.ProviderAuthorizationView.as_view()),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    *site_urlpatterns,
]
