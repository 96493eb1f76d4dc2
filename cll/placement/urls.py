from django.urls import path

from cll.placement import views

app_name = "placement"
urlpatterns = [
    path("", views.home, name="home"),
    path("<slug:language>/", views.stage, name="stage"),
    path("<slug:language>/result/", views.result, name="result"),
    path("<slug:language>/save-level/", views.level_save, name="level_save"),
    path("<slug:language>/restart/", views.restart, name="restart"),
]
