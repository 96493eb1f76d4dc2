"""Staff pages of feedback, under /<language>/staff/feedback/ (staff MFA middleware)."""

from django.urls import path

from cll.feedback import staff_views

app_name = "feedback_staff"
urlpatterns = [
    path("", staff_views.results, name="results"),
    path("sessions/<slug:slug>/", staff_views.session_results, name="session_results"),
    path("services/", staff_views.service_comments, name="service_comments"),
]
