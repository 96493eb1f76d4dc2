from django.urls import path

from cll.accounts import views

app_name = "accounts"
urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("profile/deactivate/", views.deactivate, name="deactivate"),
    path("reactivate/", views.reactivate, name="reactivate"),
    path("signup/child/", views.parental_consent_start, name="parental_consent_start"),
    path("consent/<str:token>/", views.parental_consent, name="parental_consent"),
    path("children/add/", views.child_add_view, name="child_add"),
    path("children/<uuid:public_id>/handover/", views.child_handover, name="child_handover"),
]

# Served in place of allauth's own signup view (same path, listed before allauth's URLs).
allauth_overrides = [
    path("signup/", views.signup, name="account_signup"),
    path("password/change/", views.password_change, name="account_change_password"),
]
