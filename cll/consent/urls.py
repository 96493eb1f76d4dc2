from django.urls import path

from cll.consent import views

app_name = "consent"
urlpatterns = [
    path("", views.consent_save, name="save"),
    path("signal/", views.consent_signal, name="signal"),
    path("policy/<int:number>/", views.policy_version, name="policy_version"),
]
