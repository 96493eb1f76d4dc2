app_name = "placement"
urlpatterns = []
