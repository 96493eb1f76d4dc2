"""The same helpers for templates in Django's language (``cll/accounts/jinja.py``)."""

from django import template

from cll.accounts import jinja

register = template.Library()
register.simple_tag(takes_context=True)(jinja.staff_sections)
register.simple_tag(takes_context=True)(jinja.staff_entry)
