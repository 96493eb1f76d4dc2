from django.urls import path  # noqa: F401

app_name = "helpdesk_staff"
urlpatterns: list = []
