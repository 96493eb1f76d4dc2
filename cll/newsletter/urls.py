from django.urls import include, path

app_name = "newsletter"
urlpatterns = [
    # Lists, subscription form, double opt-in, my subscriptions (subscribe_urls.py).
    path("", include("cll.newsletter.subscribe_urls")),
    # Unsubscribe pages and the one-click endpoint (unsubscribe_urls.py).
    path("", include("cll.newsletter.unsubscribe_urls")),
    # The mail provider's bounce and complaint notifications (bounce_urls.py).
    path("", include("cll.newsletter.bounce_urls")),
]
