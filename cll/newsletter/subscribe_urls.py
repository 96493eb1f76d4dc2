from django.urls import path

from cll.newsletter import views

# Included from cll/newsletter/urls.py (namespace "newsletter").
urlpatterns = [
    path("", views.subscribe, name="subscribe"),
    path("check-your-mailbox/", views.subscribe_sent, name="subscribe_sent"),
    # The e-mailed single-use token: a <str:...> segment, never logged (cll/core/urlscrub.py).
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("my-subscriptions/", views.my_subscriptions, name="my_subscriptions"),
]
