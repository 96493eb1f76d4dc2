from django.urls import path

from cll.newsletter import unsubscribe_views

# The key is a <str:...> segment: logs replace it by its name (cll/core/urlscrub.py).
urlpatterns = [
    path("unsubscribe/<str:key>/", unsubscribe_views.unsubscribe, name="unsubscribe"),
    path(
        "unsubscribe/<str:key>/<slug:list_slug>/one-click/",
        unsubscribe_views.unsubscribe_one_click,
        name="unsubscribe_one_click",
    ),
]
