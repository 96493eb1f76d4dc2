"""Waiting lists (cll/shop/waitlist_views.py), in the ``shop`` namespace under /<lang>/shop/.

The offer's token is a ``<str:...>`` segment: the logs keep ``<token>``, never the link
(cll/core/urlscrub.py)."""

from django.urls import path

from cll.shop import waitlist_views

urlpatterns = [
    path("waiting-lists/", waitlist_views.waitlist_list, name="waitlist_list"),
    path("waiting-lists/join/<slug:slug>/", waitlist_views.waitlist_join, name="waitlist_join"),
    path(
        "waiting-lists/<uuid:public_id>/leave/",
        waitlist_views.waitlist_leave,
        name="waitlist_leave",
    ),
    path("waiting-lists/offer/<str:token>/", waitlist_views.waitlist_offer, name="waitlist_offer"),
]
