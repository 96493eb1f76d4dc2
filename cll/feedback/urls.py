"""Feedback pages (cll/feedback/views.py), under /<lang>/feedback/.

The rating link's token is a ``<str:...>`` segment: the logs keep ``<token>``, never the link
(cll/core/urlscrub.py)."""

from django.urls import path

from cll.feedback import views

app_name = "feedback"
urlpatterns = [
    path("", views.feedback_home, name="home"),
    path("sessions/<uuid:public_id>/", views.session_rate, name="session_rate"),
    path("enrolments/<uuid:public_id>/", views.enrolment_rate, name="enrolment_rate"),
    path("rate/<str:token>/", views.rate, name="rate"),
]
