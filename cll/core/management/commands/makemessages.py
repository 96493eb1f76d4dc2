"""``manage.py makemessages`` that also reads the Jinja2 pages (``jinja2/``, cll/core/jinja.py).

Django's command turns each template into Python for xgettext with its own template parser,
which knows only ``{% translate %}`` and ``{% blocktranslate %}``. For a file under a Jinja2
template directory, this one parses it with the site's Jinja2 environment instead (so
``{% trans %}`` blocks are trimmed as they are when rendered) and writes each message as a
gettext call on the line where the template has it: the catalogues' references stay exact.
Everything else is Django's command as it is.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.commands import makemessages
from django.template import engines
from jinja2.ext import GETTEXT_FUNCTIONS, extract_from_ast

from cll.core.jinja import Engine

# What each gettext function of a template becomes for xgettext (its keywords, Django's list).
_CALLS = {
    "_": "gettext",
    "gettext": "gettext",
    "ngettext": "ngettext",
    "pgettext": "pgettext",
    "npgettext": "npgettext",
}


def _jinja_engine() -> Engine | None:
    return next((engine for engine in engines.all() if isinstance(engine, Engine)), None)


def jinja_messages(source: str, name: str):
    """``(line, gettext function, strings)`` for each message of the Jinja2 template ``source``,
    parsed with the site's environment (so ``{% trans %}`` blocks are trimmed as rendered)."""
    tree = _jinja_engine().env.parse(source, name=name)
    for lineno, function, strings in extract_from_ast(tree, GETTEXT_FUNCTIONS, babel_style=False):
        yield lineno, _CALLS[function], strings


def jinja_to_python(source: str, name: str) -> str:
    """Python source with one gettext call per message of the Jinja2 template ``source``, each
    on the template's line (several on one line are joined with semicolons)."""
    lines: dict[int, list[str]] = {}
    for lineno, call, strings in jinja_messages(source, name):
        arguments = ", ".join(repr(text) for text in strings)
        if call in {"ngettext", "npgettext"}:
            arguments += ", n"
        lines.setdefault(lineno, []).append(f"{call}({arguments})")
    last = max(lines, default=0)
    return "".join("; ".join(lines.get(number, [])) + "\n" for number in range(1, last + 1))


class JinjaAwareBuildFile(makemessages.BuildFile):
    def preprocess(self):
        if not (self.is_templatized and _is_jinja(self.path)):
            return super().preprocess()
        source = Path(self.path).read_text(encoding="utf-8")
        Path(self.work_path).write_text(jinja_to_python(source, self.path), encoding="utf-8")
        return None


def _is_jinja(path: str) -> bool:
    engine = _jinja_engine()
    if engine is None:
        return False
    resolved = Path(path).resolve()
    return any(resolved.is_relative_to(Path(root).resolve()) for root in engine.template_dirs)


class Command(makemessages.Command):
    build_file_class = JinjaAwareBuildFile
