"""The same helpers for templates in Django's language (``cll/analytics/jinja.py``)."""

from django import template

from cll.analytics import jinja

register = template.Library()
register.simple_tag(jinja.outbound_url)
