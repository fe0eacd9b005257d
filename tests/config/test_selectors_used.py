"""Selectors are the read path (issue 12, point 1), so none lies unused.

Read from the source (ast), not by importing: every public function of every
``<app>/selectors.py`` is referenced by the application code outside the tests —
imported by name (``from crm.selectors import customer_list``), used as an
attribute of the imported module (``selectors.customer_list``,
``complaint_selectors.sla_targets``), or called by a selector of its module that
is itself used. A selector only a test calls is dead code that tells a reader
the wrong read path.

Names follow one convention, checked here too: a ``<entity>_list`` selector
takes the reader (``user``); a selector documented as a "System read" (sweeps,
tasks) takes none.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SKIP_DIRS = {"tests", "migrations", ".venv", "node_modules", "bench"}


def _project_files(root: Path) -> tuple[Path, ...]:
    return tuple(
        path
        for path in sorted(root.rglob("*.py"))
        if not SKIP_DIRS.intersection(path.relative_to(root).parts)
    )


def _module_name(root: Path, path: Path) -> str:
    return ".".join(path.relative_to(root).with_suffix("").parts)


def _selector_modules(root: Path) -> dict[str, Path]:
    return {
        _module_name(root, path): path
        for path in _project_files(root)
        if path.name == "selectors.py"
    }


@cache
def _public_functions(path: Path) -> dict[str, ast.FunctionDef]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.name: node
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_")
    }


def _references(path: Path, modules) -> set[tuple[str, str]]:
    """(selectors module, name) pairs that the file at ``path`` uses."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    aliases: dict[str, str] = {}  # local name -> selectors module
    used: set[tuple[str, str]] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                if full in modules:  # from crm import selectors
                    aliases[alias.asname or alias.name] = full
                elif node.module in modules:  # from crm.selectors import x
                    used.add((node.module, alias.name))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in modules and alias.asname:
                    aliases[alias.asname] = alias.name
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
        ):
            used.add((aliases[node.value.id], node.attr))
    return used


@cache
def unused_selectors(root: Path) -> frozenset[tuple[str, str]]:
    """The public selector functions under ``root`` that no application module
    uses: used means imported or referenced by another module, or called by a
    used selector of its own module (``year_bounds`` serves
    ``training_records``), to a fixpoint."""
    modules = _selector_modules(root)
    used: set[tuple[str, str]] = set()
    for path in _project_files(root):
        module = _module_name(root, path)
        used |= {ref for ref in _references(path, modules) if ref[0] != module}
    changed = True
    while changed:
        changed = False
        for module, path in modules.items():
            functions = _public_functions(path)
            for name, node in functions.items():
                if (module, name) not in used:
                    continue
                for inner in ast.walk(node):
                    ref = (module, getattr(inner, "id", None))
                    if ref[1] in functions and ref not in used:
                        used.add(ref)
                        changed = True
    return frozenset(
        (module, name)
        for module, path in modules.items()
        for name in _public_functions(path)
        if (module, name) not in used
    )


SELECTOR_MODULES = _selector_modules(ROOT)
SELECTORS = sorted(
    (module, name)
    for module, path in SELECTOR_MODULES.items()
    for name in _public_functions(path)
)


def test_every_app_has_its_selectors_module():
    apps = {module.split(".")[0] for module in SELECTOR_MODULES}
    assert {"complaints", "crm", "kpi", "partners", "training"} <= apps


@pytest.mark.parametrize("module,name", SELECTORS, ids=lambda v: v)
def test_selector_is_used_outside_tests(module, name):
    assert (module, name) not in unused_selectors(ROOT), (
        f"{module}.{name} is not used by any application module"
    )


@pytest.mark.parametrize("module,name", SELECTORS, ids=lambda v: v)
def test_selector_names_say_whom_they_read_for(module, name):
    node = _public_functions(SELECTOR_MODULES[module])[name]
    params = {a.arg for a in (*node.args.args, *node.args.kwonlyargs)}
    doc = ast.get_docstring(node) or ""
    if name.endswith("_list"):
        assert "user" in params, f"{name}: a list is read for a user"
    if doc.startswith("System read"):
        assert "user" not in params, f"{name}: a system read has no reader"


def test_the_check_fails_on_a_planted_unused_selector(tmp_path):
    """A selector only a test calls, or only an unused selector calls, is
    reported; one imported by name, used as a module attribute or called by a
    used neighbour is not."""
    app = tmp_path / "planted"
    app.mkdir()
    (app / "selectors.py").write_text(
        "def thing_list(*, user):\n    return helper()\n\n\n"
        "def helper():\n    return 1\n\n\n"
        "def other_list(*, user):\n    return 2\n\n\n"
        "def orphan_list(*, user):\n    return lonely()\n\n\n"
        "def lonely():\n    return 3\n"
    )
    (app / "views.py").write_text(
        "from planted import selectors\n"
        "from planted.selectors import other_list\n\n"
        "selectors.thing_list(user=None)\nother_list(user=None)\n"
    )
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "test_planted.py").write_text(
        "from planted.selectors import orphan_list\n"
    )
    assert unused_selectors(tmp_path) == {
        ("planted.selectors", "orphan_list"),
        ("planted.selectors", "lonely"),
    }
