"""The same helpers for templates in Django's language (``cll/content/jinja.py``)."""

from django import template

from cll.content import jinja

register = template.Library()
register.simple_tag(takes_context=True)(jinja.language_links)
register.filter("markdown", jinja.markdown)
