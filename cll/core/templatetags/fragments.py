"""``{% fragment "name" value ... %}…{% endfragment %}`` for templates in Django's language: a
piece rendered once per key and kept in this process's memory (rules and key:
``cll/core/fragments.py``; pages use the Jinja2 tag of ``cll/core/jinja.py``)."""

from __future__ import annotations

from django import template
from django.utils.safestring import mark_safe

from cll.core.fragments import fragment_get_or_render, fragment_key, fragment_secrets

register = template.Library()


class FragmentNode(template.Node):
    def __init__(self, name: template.base.FilterExpression, values, nodelist):
        self.name = name
        self.values = values
        self.nodelist = nodelist

    def render(self, context) -> str:
        key = fragment_key(self.name.resolve(context), (v.resolve(context) for v in self.values))
        html = fragment_get_or_render(
            key,
            lambda: self.nodelist.render(context),
            secrets=lambda: fragment_secrets(context.get("request")),
        )
        return mark_safe(html)  # noqa: S308 (the nodelist's own, autoescaped output)


@register.tag
def fragment(parser, token):
    """``{% fragment "session-card" session.pk session.updated_at %}…{% endfragment %}``"""
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError("{% fragment %} needs a name, then the values it shows.")
    nodelist = parser.parse(("endfragment",))
    parser.delete_first_token()
    name, *values = (parser.compile_filter(bit) for bit in bits[1:])
    return FragmentNode(name, values, nodelist)
