from django.urls import path

from cll.consent import views

# Under /<lang>/: the cookie page, and the endpoints of the banner.
app_name = "consent"
urlpatterns = [
    path("cookies/", views.cookie_settings, name="cookie_settings"),
    path("consent/", views.consent_save, name="save"),
    path("consent/signal/", views.consent_signal, name="signal"),
    path("consent/policy/<int:number>/", views.policy_version, name="policy_version"),
]
