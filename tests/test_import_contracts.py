"""The layers contracts (pyproject.toml, [tool.importlinter]) are checked by scripts/test.sh;
this proves the check fails on a violation rather than trusting that it would.

The project is copied to a temporary directory, a throw-away module is added there, and
``lint-imports`` runs on the copy with the project's own contracts.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(project: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", str(ROOT / "pyproject.toml")],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(project)},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def project(tmp_path) -> Path:
    shutil.copytree(ROOT / "cll", tmp_path / "cll", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def test_it_keeps_the_contracts_of_the_project_as_it_is(project):
    result = _lint(project)
    assert result.returncode == 0, result.stdout


# One throw-away module per kind of violation, each in a module of its own.
PROBES = {
    # The ground standing on the kernel (what cll/lib/crypto.py used to do).
    "cll.lib.probe": "from cll.privacy import datamap",
    # The platform reaching up into a feature app.
    "cll.core.probe": "from cll.accounts import models",
    # The kernel importing a feature app, even inside a function.
    "cll.privacy.probe": "def f():\n    from cll.consent import selectors",
    # A feature app importing one above it (accounts sits below erasure).
    "cll.accounts.probe": "import cll.erasure.services",
}


def test_it_fails_on_deliberate_violations(project):
    for module, line in PROBES.items():
        (project / (module.replace(".", "/") + ".py")).write_text(line + "\n")
    result = _lint(project)
    assert result.returncode != 0
    report = result.stdout.replace("\n", " ")
    # Every contract but the catalogue's (no probe there) is broken.
    assert "Contracts: 1 kept, 3 broken." in report
    for module in PROBES:
        assert f"{module} ->" in report, module


def test_imports_are_at_the_top_of_their_modules():
    # docs/architecture.md, "Layers": an import inside a function hides a dependency from the
    # contracts; only AppConfig.ready() may import (Django's app registry must be ready).
    # Tests and migrations are exempt.
    root = Path(__file__).resolve().parent.parent / "cll"
    hidden = []
    for module in sorted(root.rglob("*.py")):
        if {"tests", "migrations"} & set(module.relative_to(root).parts):
            continue
        tree = ast.parse(module.read_text())
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if function.name == "ready":
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    hidden.append(f"{module.relative_to(root)}:{node.lineno} {ast.unparse(node)}")
    assert hidden == []
