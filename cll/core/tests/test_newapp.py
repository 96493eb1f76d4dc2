"""``manage.py newapp`` creates an app with the boxes every app has, and the code it writes is
valid Python that passes the project's lint."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

ROOT = Path(__file__).resolve().parents[3]
BOXES = [
    "__init__.py",
    "apps.py",
    "models.py",
    "services.py",
    "selectors.py",
    "forms.py",
    "views.py",
    "urls.py",
    "staff_views.py",
    "staff_urls.py",
    "privacy.py",
    "tests/__init__.py",
    "migrations/__init__.py",
]


def test_it_creates_an_app_with_the_boxes(tmp_path):
    call_command(
        "newapp", "shop", directory=str(tmp_path / "cll"), templates=str(tmp_path / "templates")
    )
    app = tmp_path / "cll" / "shop"
    for box in BOXES:
        assert (app / box).is_file(), box
    assert list((app / "tests").glob("test_*.py"))
    assert (tmp_path / "templates" / "shop" / "staff" / "example_list.html").is_file()
    apps_py = (app / "apps.py").read_text()
    assert 'name = "cll.shop"' in apps_py and "class ShopConfig" in apps_py
    assert '"shop.Example"' in (app / "privacy.py").read_text()
    # The generated code is formatted and clean for the project's ruff settings.
    ruff = Path(sys.executable).with_name("ruff")
    settings = ["--config", str(ROOT / "pyproject.toml")]
    lint = subprocess.run([ruff, "check", *settings, str(app)], capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout
    fmt = subprocess.run(
        [ruff, "format", "--check", *settings, str(app)], capture_output=True, text=True
    )
    assert fmt.returncode == 0, fmt.stdout


def test_it_refuses_a_bad_or_taken_name(tmp_path):
    with pytest.raises(CommandError):
        call_command("newapp", "Not-A-Name", directory=str(tmp_path))
    (tmp_path / "shop").mkdir()
    with pytest.raises(CommandError, match="already exists"):
        call_command("newapp", "shop", directory=str(tmp_path))
