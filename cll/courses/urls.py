from django.urls import path

from cll.courses import views

app_name = "courses"
urlpatterns = [
    path("courses/", views.session_list, name="session_list"),
    path("courses/<slug:slug>/", views.session_detail, name="session_detail"),
]
