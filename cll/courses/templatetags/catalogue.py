"""The catalogue's filters for templates in Django's language."""

from django import template

from cll.courses.prices import euros

register = template.Library()
register.filter("euros", euros)
