app_name = "shop_staff"
urlpatterns = []
