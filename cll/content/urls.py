app_name = "content"
urlpatterns: list = []
