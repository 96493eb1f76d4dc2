"""``{% fragment "name" value ... %}…{% endfragment %}``: a piece of a page rendered once per key
and kept in this process's memory (rules and key: ``cll/core/fragments.py``)."""

from __future__ import annotations

from django import template
from django.middleware.csp import get_nonce
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from cll.core.fragments import fragment_get_or_render
from cll.core.pagecache import content_version

register = template.Library()

# Present in the HTML of any form that carries a CSRF token: such a form is per request.
_CSRF_FIELD = "csrfmiddlewaretoken"


class FragmentNode(template.Node):
    def __init__(self, name: template.base.FilterExpression, values, nodelist):
        self.name = name
        self.values = values
        self.nodelist = nodelist

    def render(self, context) -> str:
        name = self.name.resolve(context)
        values = tuple(_hashable(value.resolve(context)) for value in self.values)
        key = (name, get_language(), content_version(), *values)
        html = fragment_get_or_render(
            key, lambda: self.nodelist.render(context), secrets=lambda: _secrets(context)
        )
        return mark_safe(html)  # noqa: S308 (the nodelist's own, autoescaped output)


def _secrets(context) -> tuple[str, ...]:
    # Called after rendering: the nonce exists only once something (maybe this fragment) used it.
    request = context.get("request")
    nonce = get_nonce(request) if request is not None else None
    return (_CSRF_FIELD, str(nonce) if nonce else "")


def _hashable(value):
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value


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
