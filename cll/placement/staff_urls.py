app_name = "placement_staff"
urlpatterns = []
