"""Staff pages of the accounts app, under /<language>/staff/ (covered by the staff MFA
middleware, see STAFF_MFA_PATH_PREFIXES)."""

from django.urls import path

from cll.accounts import staff_views

app_name = "staff"
urlpatterns = [
    path("", staff_views.home, name="home"),
    path("learners/", staff_views.learner_list, name="learner_list"),
    path("learners/<uuid:public_id>/", staff_views.learner_detail, name="learner_detail"),
]
