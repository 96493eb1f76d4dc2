"""``{% frame %}``: the site's frame (the Jinja2 ``base.html``, cll/core/jinja.py) around a page
written in Django's template language — allauth's own pages, which use allauth's tags.

``templates/base.html`` is such a page's base: it declares the frame's blocks inside
``{% part %}`` tags, so a child overrides them as usual; the frame renders each part with
Django's language, then the Jinja2 ``frame/dtl.html`` (which extends ``base.html``) with the
parts. A block the child did not override renders ``frame_default``, and the frame's own
content is used for it.
"""

from __future__ import annotations

import secrets

from django import template
from django.template import engines
from django.utils.safestring import mark_safe

register = template.Library()


class FrameNode(template.Node):
    def __init__(self, nodelist):
        self.nodelist = nodelist

    def render(self, context) -> str:
        marker = f"\x00frame-default-{secrets.token_hex(8)}\x00"
        parts = {}
        with context.push(frame_default=marker):
            for node in self.nodelist.get_nodes_by_type(PartNode):
                html = node.nodelist.render(context)
                parts[node.name] = None if html.strip() == marker else mark_safe(html)  # noqa: S308
        return _render_jinja("frame/dtl.html", context, parts=parts)


class PartNode(template.Node):
    def __init__(self, name: str, nodelist):
        self.name = name
        self.nodelist = nodelist

    def render(self, context) -> str:
        return ""  # rendered by the frame


@register.tag
def frame(parser, token):
    nodelist = parser.parse(("endframe",))
    parser.delete_first_token()
    return FrameNode(nodelist)


@register.tag
def part(parser, token):
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError("{% part %} takes the name of a block of the frame.")
    nodelist = parser.parse(("endpart",))
    parser.delete_first_token()
    return PartNode(bits[1].strip("\"'"), nodelist)


@register.simple_tag(takes_context=True)
def jinja_include(context, name: str, **values) -> str:
    """``{% jinja_include "accounts/includes/form_fields.html" form=attrs.form %}``: a Jinja2
    piece of the site inside a template in Django's language (allauth's elements), so that
    there is one copy of it."""
    return mark_safe(_render_jinja(name, context, **values))  # noqa: S308 (autoescaped output)


def _render_jinja(name: str, context, **values) -> str:
    # The Jinja2 template with everything the Django template had, and ``values``.
    merged = context.flatten()
    merged.update(values)
    return engines["jinja2"].get_template(name).render(merged, merged.get("request"))
