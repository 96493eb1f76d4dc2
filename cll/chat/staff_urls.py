from django.urls import path

from cll.chat import staff_views

app_name = "chat_staff"
urlpatterns = [
    path("", staff_views.console, name="console"),
]
