"""Versioned privacy policy and general terms: publishing, announcements, objection window,
acceptance records.
"""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PoliciesConfig(AppConfig):
    name = "cll.policies"
    verbose_name = _("Policies")

    def ready(self):
        from cll.core.pagecache import bump_on_change

        # The policy pages are cached for anonymous visitors: publishing retires them. The
        # notice's memory of material publication dates is keyed on the same content version
        # (selectors.policy_notice_for), so publishing retires it too.
        bump_on_change(self.get_model("PolicyVersion"))
