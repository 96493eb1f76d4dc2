"""``manage.py newapp <name>``: a new feature app with the house boxes (CONTRIBUTING.md)."""

from __future__ import annotations

import keyword
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

APP_TEMPLATE = Path(__file__).resolve().parents[2] / "app_template"

PUBLIC_PAGE = """{% extends "base.html" %}
{% block title %}{{ _("Examples") }}{% endblock %}
{% block content %}
<h1>{{ _("Examples") }}</h1>
<ul>{% for example in examples %}<li>{{ example.title }}</li>{% endfor %}</ul>
{% endblock %}
"""
STAFF_PAGE = """{% extends "staff/base_staff.html" %}
{% block title %}{{ _("Examples") }}{% endblock %}
{% block heading %}{{ _("Examples") }}{% endblock %}
{% block body %}
<ul>{% for example in examples %}<li>{{ example.title }}</li>{% endfor %}</ul>
{% endblock %}
"""


class Command(BaseCommand):
    help = (
        "Create cll/<name>, a feature app with the house boxes: models, services, selectors, "
        "forms, views and urls, staff_views and staff_urls, privacy.py (its data map), tests/ "
        "and migrations/, plus jinja2/<name>/ and jinja2/<name>/staff/; then print what "
        "to wire by hand (INSTALLED_APPS, cll/urls.py, the import contracts)."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="the app's name, a Python identifier (e.g. shop)")
        parser.add_argument(
            "--directory",
            default=str(Path(settings.BASE_DIR) / "cll"),
            help="where the app's package is created (default: the project's cll/)",
        )
        parser.add_argument(
            "--templates",
            default=str(Path(settings.BASE_DIR) / "jinja2"),
            help="the project's page template directory (default: jinja2/)",
        )

    def handle(self, *args, name: str, directory: str, templates: str, **options):
        if not name.isidentifier() or keyword.iskeyword(name) or not name.islower():
            raise CommandError(f"{name!r} is not a lower-case Python identifier.")
        target = Path(directory) / name
        if target.exists():
            raise CommandError(f"{target} already exists.")
        target.mkdir(parents=True)
        call_command("startapp", name, str(target), template=str(APP_TEMPLATE), verbosity=0)
        pages = Path(templates) / name
        (pages / "staff").mkdir(parents=True, exist_ok=True)
        (pages / "example_list.html").write_text(PUBLIC_PAGE)
        (pages / "staff" / "example_list.html").write_text(STAFF_PAGE)
        self.stdout.write(
            f"Created {target} and {pages}. Now, by hand:\n"
            f'  1. add "cll.{name}" to INSTALLED_APPS (cll/settings.py);\n'
            f'  2. route it in cll/urls.py: path("{name}/", include("cll.{name}.urls")) and '
            f'path("staff/{name}/", include("cll.{name}.staff_urls"));\n'
            f"  3. place cll.{name} in the import contracts (pyproject.toml, "
            "[tool.importlinter]): the feature line it belongs to, and the forbidden lists;\n"
            f"  4. replace the Example model, classify its fields in privacy.py, then "
            f"manage.py makemigrations {name};\n"
            "  5. follow the checklists of CONTRIBUTING.md (a personal-data field, a retention "
            "rule, a staff page)."
        )
