"""The dashboard's modules import each other without a cycle: the application factory (dashboard.create_app) wires
up the views, and nothing it wires up imports it back, so any module can be imported first."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from ryggvett.settings import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "dashboard"


def module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imported(path: Path) -> set[str]:
    """The dashboard modules a module imports anywhere in it, at the top or inside a function."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from . import x, from .db import y
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            # `from dashboard import db` imports the module dashboard.db, not a name of dashboard's __init__.
            found |= {f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names}
    return found & MODULES.keys()


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle as a path that ends where it starts; empty if there is none."""
    done: set[str] = set()

    def walk(module: str, path: list[str]) -> list[str]:
        if module in path:
            return [*path[path.index(module) :], module]
        if module in done:
            return []
        for target in sorted(graph[module]):
            cycle = walk(target, [*path, module])
            if cycle:
                return cycle
        done.add(module)
        return []

    for module in sorted(graph):
        cycle = walk(module, [])
        if cycle:
            return cycle
    return []


def test_the_dashboard_modules_import_one_another_without_a_cycle():
    graph = {name: imported(path) - {name} for name, path in MODULES.items()}
    assert find_cycle(graph) == [], " -> ".join(find_cycle(graph))
    # The graph is the real one: the factory wires up the views, which use the database module.
    assert "dashboard.views.auth" in graph["dashboard"] and "dashboard.db" in graph["dashboard.views.auth"]


@pytest.mark.parametrize("module", sorted(name for name in MODULES if name != "dashboard.__main__"))
def test_each_module_imports_first_and_the_app_is_made_after_it(module):
    # A fresh interpreter: in this one the modules are imported already.
    code = (
        f"import {module}\n"
        "from dashboard import DashboardConfig, create_app\n"
        "app = create_app(DashboardConfig(tracker_url='sqlite://', db_url='sqlite://'))\n"
        "assert 'conversations.index' in app.view_functions\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
