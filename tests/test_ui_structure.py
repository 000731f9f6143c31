"""Issue 18's size rules for the UI: app.py is wiring only, ui/ functions stay short."""

from __future__ import annotations

import ast

MAX_FUNCTION_LINES = 60


def _functions(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node.name, node.end_lineno - node.lineno + 1


def test_app_is_wiring_only(repo_root):
    assert len((repo_root / "app.py").read_text(encoding="utf-8").splitlines()) <= 150


def test_no_long_functions_in_app_or_ui(repo_root):
    files = [repo_root / "app.py", *sorted((repo_root / "ui").glob("*.py"))]
    long = [(f.name, name, n) for f in files for name, n in _functions(f) if n > MAX_FUNCTION_LINES]
    assert long == []


def test_presenters_live_in_ui_only(repo_root):
    assert (repo_root / "ui" / "presenters.py").exists()
    assert not (repo_root / "assistant" / "presenters.py").exists()
