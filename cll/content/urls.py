from django.urls import path

from cll.consent import views as consent_views
from cll.content import views
from cll.policies import views as policies_views

app_name = "content"
# The privacy policy, terms and cookie pages keep their content: names but live in the apps that
# own them (policies, consent).
urlpatterns = [
    path("", views.home, name="home"),
    path("news/", views.news_list, name="news_list"),
    path("news/<slug:slug>/", views.news_detail, name="news_detail"),
    path("privacy/", policies_views.privacy_policy, name="privacy_policy"),
    path("cookies/", consent_views.cookie_settings, name="cookie_settings"),
    path("contact/", views.contact, name="contact"),
    path("terms/", policies_views.terms, name="terms"),
    path("accessibility/", views.accessibility, name="accessibility"),
]
