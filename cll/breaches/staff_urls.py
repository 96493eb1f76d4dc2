"""Staff pages of the breach register, under /<language>/staff/privacy/breaches/ (staff MFA
middleware): the privacy officer's tools share one address space, whichever app serves them."""

from django.urls import path

from cll.breaches import staff_views

app_name = "breaches_staff"
urlpatterns = [
    path("", staff_views.breach_list, name="breach_list"),
    path("new/", staff_views.breach_record, name="breach_record"),
    path("<uuid:public_id>/", staff_views.breach_detail, name="breach_detail"),
    path("<uuid:public_id>/notify/", staff_views.breach_notify, name="breach_notify"),
]
