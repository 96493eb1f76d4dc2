"""Template helpers for the catalogue (found by cll.core.jinja.environment)."""

from cll.courses.prices import euros

FILTERS = {"euros": euros}
