from django.urls import path

from cll.content import views

app_name = "content"
urlpatterns = [
    path("", views.home, name="home"),
    path("news/", views.news_list, name="news_list"),
    path("news/<slug:slug>/", views.news_detail, name="news_detail"),
    path("accessibility/", views.accessibility, name="accessibility"),
]
