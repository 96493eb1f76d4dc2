"""Staff pages of the placement app (templates under jinja2/placement/staff/): every
view is decorated with ``staff_role_required`` (cll.core.roles), the roles it opens to."""

from __future__ import annotations
