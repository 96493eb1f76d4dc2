from django.urls import path

from cll.newsletter import bounce_views

# Included by cll/newsletter/urls.py (namespace "newsletter").
urlpatterns = [
    path("bounces/", bounce_views.bounce_webhook, name="bounce_webhook"),
]
