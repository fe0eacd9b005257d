"""The layers of Kefu, enforced on every import statement of the code.

Every ``.py`` of the project's packages is parsed (migrations and tests are
not), and every ``import`` and ``from … import`` is read wherever it stands —
module level, inside a function, under ``if TYPE_CHECKING`` — because a
function-local import is a dependency all the same, only a hidden one.

Two contracts (docs/architecture.md, "Layers"):

1. Arrows run down. ``LAYERS`` says which packages each package may import:
   crm at the bottom, complaints above it, training and partners above
   complaints, kpi on top; ``config``'s shared modules (errors, the API layer
   in ``config/api/``, middleware) below every app. Only the composition root
   (settings, root URLs, the Celery app, WSGI/ASGI) and the benchmarks may
   import anything.
2. No cycles: no module reaches itself through its imports, between apps or
   between the modules of one app.

A package's ``__init__`` counts as a module of its own; importing
``a.b.c`` is an edge to ``a.b.c`` only (not to ``a`` and ``a.b``, which Python
runs first: that a package re-exports its modules is not a dependency of theirs
on each other).
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = (
    "config",
    "crm",
    "complaints",
    "aftersales",
    "training",
    "kpi",
    "partners",
    "bench",
)

# Which packages each package may import (besides itself). Anything else is an
# upward or sideways arrow.
LAYERS: dict[str, frozenset[str]] = {
    "config": frozenset(),  # config's shared modules: below every app
    "crm": frozenset({"config"}),
    "complaints": frozenset({"config", "crm"}),
    "training": frozenset({"config", "crm", "complaints"}),
    "aftersales": frozenset({"config", "crm", "complaints"}),
    "partners": frozenset({"config", "crm", "complaints", "aftersales"}),
    "kpi": frozenset({"config", "crm", "complaints", "training", "aftersales"}),
}

# Modules that wire the project together and may import any package (and their
# submodules); nothing else may import them (code reads ``config.settings``
# through ``django.conf.settings``). ``config/__init__.py`` loads the Celery app.
COMPOSITION_ROOT = (
    "config.urls",
    "config.settings",
    "config.celery",
    "config.wsgi",
    "config.asgi",
    "bench",
)
COMPOSITION_ROOT_PACKAGE = "config"

# Imports that break a contract and cannot be removed yet, each with the reason
# it is still there: (importer, imported). Keep this empty.
ALLOWED_EXCEPTIONS: dict[tuple[str, str], str] = {}


# --- the import graph -------------------------------------------------------------


def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def find_modules(root: Path, packages=PACKAGES) -> dict[str, Path]:
    """``{dotted name: path}`` of every module of ``packages`` under ``root``,
    without migrations and tests."""
    modules = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).parts
            if "migrations" in parts or "tests" in parts:
                continue
            modules[_module_name(root, path)] = path
    return modules


def _imported_names(module: str, is_package: bool, node) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:  # relative: from . import x, from ..a import b
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        target = ".".join([*base, node.module] if node.module else base)
    else:
        target = node.module
    # "from a import b" imports the module a.b when there is one, else a name of a.
    return [f"{target}.{alias.name}" for alias in node.names] + [target]


def _resolve(name: str, modules) -> str | None:
    """The project module that ``name`` is, or lives in; None if third-party."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def import_graph(modules: dict[str, Path]) -> dict[str, dict[str, int]]:
    """``{importer: {imported: line}}`` over the project's modules."""
    graph: dict[str, dict[str, int]] = {}
    for module, path in modules.items():
        edges = graph.setdefault(module, {})
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            names = _imported_names(module, is_package, node)
            if isinstance(node, ast.ImportFrom):
                # "from a import b": the submodule a.b if it exists, else a.
                submodules = [n for n in names[:-1] if n in modules]
                names = submodules or names[-1:]
            for name in names:
                target = _resolve(name, modules)
                if target is not None and target != module:
                    edges.setdefault(target, node.lineno)
    return graph


# --- the contracts ----------------------------------------------------------------


def _in(module: str, prefixes) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _is_root(module: str) -> bool:
    return module == COMPOSITION_ROOT_PACKAGE or _in(module, COMPOSITION_ROOT)


def layer_violations(graph, layers=LAYERS, allowed=ALLOWED_EXCEPTIONS) -> list[str]:
    """Imports that run up or sideways, as ``"importer:line -> imported"``."""
    found = []
    for importer, edges in sorted(graph.items()):
        for imported, line in sorted(edges.items()):
            if (importer, imported) in allowed:
                continue
            source = importer.split(".")[0]
            target = imported.split(".")[0]
            if _is_root(imported):
                if not _is_root(importer):
                    found.append(f"{importer}:{line} -> {imported} (composition root)")
                continue
            if _is_root(importer) or source == target:
                continue
            if target not in layers.get(source, frozenset()):
                found.append(f"{importer}:{line} -> {imported}")
    return found


def cycles(graph, allowed=ALLOWED_EXCEPTIONS) -> list[list[str]]:
    """Groups of modules that reach each other through imports (Tarjan)."""
    edges = {
        m: [t for t in targets if (m, t) not in allowed] for m, targets in graph.items()
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(start: str) -> None:
        # Iterative, so that a long chain of imports cannot hit the recursion limit.
        work = [(start, iter(edges.get(start, ())))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges.get(child, ()))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))

    for module in sorted(edges):
        if module not in index:
            visit(module)
    return sorted(found)


def _describe(graph, group) -> str:
    members = set(group)
    arrows = [
        f"{m}:{line} -> {t}"
        for m in group
        for t, line in sorted(graph[m].items())
        if t in members
    ]
    return "\n    ".join(arrows)


# --- the project ------------------------------------------------------------------


@pytest.fixture(scope="module")
def graph():
    return import_graph(find_modules(ROOT))


def test_every_import_runs_down_the_layers(graph):
    assert layer_violations(graph) == []


def test_no_module_reaches_itself_through_its_imports(graph):
    found = cycles(graph)
    assert not found, "import cycles:\n  " + "\n  ".join(
        _describe(graph, group) for group in found
    )


def test_the_allow_list_names_only_imports_that_exist(graph):
    stale = [
        pair for pair in ALLOWED_EXCEPTIONS if pair[1] not in graph.get(pair[0], {})
    ]
    assert stale == []


def test_every_app_has_a_layer():
    from django.conf import settings

    ours = {app.split(".")[0] for app in settings.INSTALLED_APPS} & set(PACKAGES)
    assert ours <= set(LAYERS)


# --- the checker catches what it is there to catch --------------------------------


def _plant(tmp_path: Path, files: dict[str, str]) -> dict[str, dict[str, int]]:
    for name, source in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source), encoding="utf-8")
    packages = sorted({name.split("/")[0] for name in files})
    return import_graph(find_modules(tmp_path, packages))


def test_a_planted_upward_import_fails_even_inside_a_function(tmp_path):
    graph = _plant(
        tmp_path,
        {
            "crm/__init__.py": "",
            "crm/services.py": """
                from crm import models

                def plan():
                    from complaints.models import Complaint  # upward, hidden
                    return Complaint
            """,
            "crm/models.py": "",
            "complaints/__init__.py": "",
            "complaints/models.py": "from crm.models import *\n",
        },
    )
    assert layer_violations(graph) == ["crm.services:5 -> complaints.models"]


def test_partners_and_kpi_may_not_import_each_other(tmp_path):
    graph = _plant(
        tmp_path,
        {
            "kpi/__init__.py": "",
            "kpi/measures.py": "import partners.models\n",
            "partners/__init__.py": "",
            "partners/models.py": "from ..kpi import measures\n",
        },
    )
    assert layer_violations(graph) == [
        "kpi.measures:1 -> partners.models",
        "partners.models:1 -> kpi.measures",
    ]


def test_config_below_the_apps_except_its_composition_root(tmp_path):
    graph = _plant(
        tmp_path,
        {
            "config/__init__.py": "",
            "config/urls.py": "from crm import views\n",
            "config/errors.py": "",
            "config/api/__init__.py": "",
            "config/api/permissions.py": "from crm.models import User\n",
            "crm/__init__.py": "",
            "crm/views.py": "from config.errors import *\nfrom config import urls\n",
            "crm/models.py": "",
        },
    )
    assert layer_violations(graph) == [
        "config.api.permissions:1 -> crm.models",
        "crm.views:2 -> config.urls (composition root)",
    ]


def test_a_planted_loop_inside_an_app_is_a_cycle(tmp_path):
    graph = _plant(
        tmp_path,
        {
            "partners/__init__.py": "",
            "partners/tasks.py": "from partners.webhooks import deliver\n",
            "partners/webhooks.py": """
                def enqueue():
                    from .tasks import deliver_task  # the hidden way back
            """,
            "partners/models.py": "",
        },
    )
    assert layer_violations(graph) == []
    assert cycles(graph) == [["partners.tasks", "partners.webhooks"]]


def test_an_allowed_exception_is_not_reported(tmp_path):
    graph = _plant(
        tmp_path,
        {
            "crm/__init__.py": "",
            "crm/demo.py": "from complaints import models\n",
            "complaints/__init__.py": "",
            "complaints/models.py": "",
        },
    )
    allowed = {("crm.demo", "complaints.models"): "planted"}
    assert layer_violations(graph, allowed=allowed) == []
    assert layer_violations(graph) == ["crm.demo:1 -> complaints.models"]
