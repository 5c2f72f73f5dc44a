"""The daemon uses no private attribute of a dependency (issue: one home per concern)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "tikmatrixd"
#: The simulator is test equipment, not the daemon.
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "sim" not in p.relative_to(PACKAGE).parts)


def imported_names(tree: ast.Module) -> set[str]:
    """Names a module binds to something imported from outside tikmatrixd."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names if not a.name.startswith("tikmatrixd")}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and not (node.module or "").startswith("tikmatrixd"):
            names |= {a.asname or a.name for a in node.names}
    return names


def root_name(node: ast.expr) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_private_attribute_of_an_import(path):
    tree = ast.parse(path.read_text(), str(path))
    imported = imported_names(tree)
    private = [
        f"{path.name}:{node.lineno}: .{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
        and root_name(node) in imported
    ]
    assert not private


def test_the_daemon_needs_neither_aiosqlite_nor_adbutils():
    """Both needed private calls; the store and the adb client replace what they did (README)."""
    for path in MODULES:
        names = imported_names(ast.parse(path.read_text()))
        assert not names & {"aiosqlite", "adbutils"}, path
