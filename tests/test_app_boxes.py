"""Every app has the same boxes (CONTRIBUTING.md, "House style"), checked rather than hoped for.

- every app of ours but the platform (cll.core, whose tables the kernel declares) has a
  ``privacy.py`` (its data map) and a ``tests/`` package with tests;
- staff pages are views in ``<app>/staff_views.py``, routed by ``<app>/staff_urls.py``, drawn
  from ``templates/<app>/staff/``: a staff view anywhere else, or a staff template elsewhere,
  fails;
- the Django admin never edits personal data: a model admin of a model with personal fields
  adds nothing and shows those fields read-only (people's data is worked on through staff
  pages, which check the role field by field and audit every read).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver

from cll.privacy import datamap

ROOT = Path(settings.BASE_DIR)
PLATFORM = {"core"}
OUR_APPS = [config for config in apps.get_app_configs() if config.name.startswith("cll.")]


def _staff_patterns(patterns=None, urlconfs=()):
    """(pattern, the URLconf modules it was included through) of every staff view."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            name = getattr(pattern.urlconf_module, "__name__", "")
            yield from _staff_patterns(pattern.url_patterns, (*urlconfs, name))
        elif isinstance(pattern, URLPattern) and getattr(pattern.callback, "staff_roles", None):
            yield pattern, urlconfs


@pytest.mark.parametrize("config", OUR_APPS, ids=lambda config: config.label)
def test_every_app_has_its_data_map_and_tests(config):
    if config.label in PLATFORM:
        return
    path = Path(config.path)
    assert (path / "privacy.py").is_file(), f"{config.name} has no privacy.py"
    assert list((path / "tests").glob("test_*.py")), f"{config.name} has no tests/"


def test_staff_views_live_in_staff_views_and_staff_urls():
    found = list(_staff_patterns())
    assert found, "the URLconf walk found no staff view"
    misplaced = []
    for pattern, urlconfs in found:
        view = pattern.callback
        app = view.__module__.split(".")[1]
        if view.__module__ != f"cll.{app}.staff_views":
            misplaced.append(f"{view.__module__}.{view.__name__}")
        elif f"cll.{app}.staff_urls" not in urlconfs:
            misplaced.append(f"{view.__name__} routed by {urlconfs[-1]}")
    assert misplaced == []


def test_staff_urls_route_only_staff_views():
    for config in OUR_APPS:
        if not (Path(config.path) / "staff_urls.py").is_file():
            continue
        module = __import__(f"{config.name}.staff_urls", fromlist=["urlpatterns"])
        for pattern in module.urlpatterns:
            assert getattr(pattern.callback, "staff_roles", None), pattern
            assert pattern.callback.__module__ == f"{config.name}.staff_views", pattern


def test_staff_templates_live_under_their_apps_staff_folder():
    labels = {config.label for config in OUR_APPS}
    misplaced = []
    pages = [
        (root, page)
        for root in (ROOT / "jinja2", ROOT / "templates")
        for page in root.rglob("*.html")
    ]
    for templates, page in pages:
        relative = page.relative_to(templates)
        if relative.as_posix() == "staff/base_staff.html":
            continue
        is_staff_page = '{% extends "staff/base_staff.html" %}' in page.read_text()
        in_staff_folder = len(relative.parts) >= 3 and relative.parts[1] == "staff"
        if is_staff_page and not (in_staff_folder and relative.parts[0] in labels):
            misplaced.append(str(relative))
        if in_staff_folder and not (
            relative.parts[0] in labels
            and (ROOT / "cll" / relative.parts[0] / "staff_views.py").is_file()
        ):
            misplaced.append(f"{relative} (no {relative.parts[0]}/staff_views.py)")
    assert misplaced == []


def test_the_admin_never_edits_personal_data(admin_user):
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    checked = 0
    for model, model_admin in admin.site._registry.items():
        entry = datamap.entry_for(model)
        if model._meta.app_label not in {c.label for c in OUR_APPS} or entry is None:
            continue
        personal = set(entry.personal_fields)
        if not personal:
            continue
        checked += 1
        assert not model_admin.has_add_permission(request), model
        editable = set(model_admin.get_fields(request)) - set(
            model_admin.get_readonly_fields(request)
        )
        assert not editable & personal, (model, editable & personal)
    assert checked, "no admin of a model with personal data was found (the check checks nothing)"
