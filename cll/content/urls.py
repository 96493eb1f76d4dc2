from django.urls import path

from cll.content import views

app_name = "content"
urlpatterns = [
    path("", views.home, name="home"),
    path("news/", views.news_list, name="news_list"),
    path("news/<slug:slug>/", views.news_detail, name="news_detail"),
    path("privacy/", views.privacy_policy, name="privacy_policy"),
    path("cookies/", views.cookie_settings, name="cookie_settings"),
    path("contact/", views.contact, name="contact"),
    path("terms/", views.terms, name="terms"),
    path("accessibility/", views.accessibility, name="accessibility"),
]
