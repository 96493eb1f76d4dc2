from django.urls import path

from cll.accounts import views

app_name = "accounts"
urlpatterns = [
    path("profile/", views.profile, name="profile"),
]

# Served in place of allauth's own signup view (same path, listed before allauth's URLs).
allauth_overrides = [
    path("signup/", views.signup, name="account_signup"),
    path("password/change/", views.password_change, name="account_change_password"),
]
