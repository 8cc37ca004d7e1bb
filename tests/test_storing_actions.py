"""actions.STORING_ACTIONS lists every action that stores or notifies: a call to them is never repeated."""

from __future__ import annotations

import ast
from pathlib import Path

from actions import STORING_ACTIONS
from ryggvett.settings import PROJECT_ROOT


def _is_side_effect(name: str) -> bool:
    # The stores' writers are save_*; notify() posts the reception's notice.
    return name.startswith("save_") or name == "notify"


def _called(node: ast.AST) -> set[str]:
    names = set()
    for call in ast.walk(node):
        if isinstance(call, ast.Call):
            function = call.func
            names.add(function.id if isinstance(function, ast.Name) else getattr(function, "attr", ""))
    return names


def _storing_actions(path: Path) -> set[str]:
    """Action names in `path` whose methods reach a side effect, directly or through the module's functions."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    functions = {n.name: _called(n) for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}

    def reaches(names: set[str], seen: set[str]) -> bool:
        for name in names:
            if _is_side_effect(name):
                return True
            if name in functions and name not in seen:
                seen.add(name)
                if reaches(functions[name], seen):
                    return True
        return False

    found = set()
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
        methods = [m for m in cls.body if isinstance(m, ast.FunctionDef | ast.AsyncFunctionDef)]
        name = next(
            (r.value.value for m in methods if m.name == "name" for r in ast.walk(m)
             if isinstance(r, ast.Return) and isinstance(r.value, ast.Constant)),
            None,
        )  # fmt: skip
        if name and reaches(set().union(*(_called(m) for m in methods)), set()):
            found.add(name)
    return found


def test_every_action_that_stores_or_notifies_is_listed():
    found = set().union(*(_storing_actions(path) for path in sorted((PROJECT_ROOT / "actions").glob("*.py"))))
    assert found == STORING_ACTIONS
    assert {"validate_callback_form", "action_checkin_reply", "action_rate_exercises"} <= found
