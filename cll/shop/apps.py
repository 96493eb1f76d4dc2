from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShopConfig(AppConfig):
    name = "cll.shop"
    verbose_name = _("Shop")

    def ready(self):
        # Imported here, once the models are loaded (Django's ready()). The apps below the
        # shop cannot import it (layers): it tells them what they need to know.
        from cll.accounts.staff_selectors import teacher_learners_install
        from cll.courses.hooks import session_panel_register
        from cll.shop import checks, staff_selectors, views  # noqa: F401  (checks: registers them)

        # The session page shows the enrol panel (seats left, add to cart, waiting list).
        session_panel_register(views.session_enrol_panel)
        # The staff's learner pages show a teacher the learners enrolled in their sessions.
        teacher_learners_install(staff_selectors.learners_of_teacher)
