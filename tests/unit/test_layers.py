"""The layers of the house, held by reading every module's imports (the design's "dependencies point down").

kernel (records, ids, views, config) <- sources, storage <- the running App <- features <- the door (handler
table, service) <- the composition root <- adapters. An import that points up, a cycle between packages or
between files, a feature that touches tables or SQL, or an adapter that reaches past the door fails here, with
the file and the import named.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import pytest

from core.config import PROJECT_ROOT

# Lowest first. A module may import its own layer (without cycles) and any layer below.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("kernel", ("core.model", "core.config", "core.ids", "core.views", "core.logsetup")),
    ("language", ("core.help", "core.commands", "core.options", "core.rules")),
    ("infrastructure", ("core.sources", "core.storage")),
    ("runtime", ("core.app",)),
    ("features", ("core.papers", "core.researchers", "core.subscriptions", "core.digest", "core.suggestions")),
    ("door", ("core.handlers", "core.service")),
    ("root", ("core.bootstrap",)),
    ("adapters", ("bots",)),
)
DOOR = [name for name, _ in LAYERS].index("door")
# Sources and storage are siblings that know only the kernel: a parser never writes, a table never fetches.
INFRASTRUCTURE_MAY_IMPORT = ("core.model", "core.config", "core.ids")
# What an adapter may know of core: the door and the data that passes through it.
ADAPTER_MAY_IMPORT = ("core.commands", "core.options", "core.rules", "core.views", "core.service",
                      "core.bootstrap", "core.config", "core.model", "core.help")
FEATURES = ("core.papers", "core.researchers", "core.subscriptions", "core.digest", "core.suggestions")
# Tables and query builders belong to storage alone.
FEATURES_MAY_NOT_IMPORT = ("core.storage.models", "sqlalchemy", "sqlmodel")
# ... except the session type a transaction script passes down to storage, and the errors it may catch.
FEATURES_MAY_STILL_IMPORT = ("sqlmodel.ext.asyncio.session", "sqlalchemy.exc")


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, module: str, *, names: bool = True) -> set[str]:
    """Every module named by an import anywhere in the file (functions and TYPE_CHECKING blocks included:
    a lazy import is still a dependency). `from pkg import name` counts as `pkg.name` when that is a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            if names:
                found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def project_modules(root: Path = PROJECT_ROOT) -> dict[str, Path]:
    modules = {}
    for top in ("core", "bots"):
        for path in sorted((root / top).rglob("*.py")):
            if "migrations" in path.parts:  # Alembic's scripts run outside the app
                continue
            modules[module_name(path, root)] = path
    return modules


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """module -> the project modules it imports (names that are not modules of ours are dropped)."""
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = {target for target in imports_of(path, name) if target in modules}
        # `from core import __version__` reads the package's version string, not the door behind `core.handle`.
        targets.discard("core")
        graph[name] = targets - {name}
    return graph


def external_imports(modules: dict[str, Path]) -> dict[str, set[str]]:
    return {name: imports_of(path, name, names=False) for name, path in modules.items()}


def under(module: str, prefixes: Iterable[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def layer_of(module: str) -> int | None:
    if module == "core":  # the package itself is the door: `core.handle`
        return DOOR
    for index, (_, prefixes) in enumerate(LAYERS):
        if under(module, prefixes):
            return index
    return None


def package_of(module: str) -> str:
    """The unit for package cycles: core's subpackages and top-level modules, bots' adapters."""
    parts = module.split(".")
    return ".".join(parts[:2])


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a path (first node repeated at the end), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*stack[stack.index(target):], target]
            if target not in state:
                cycle = visit(target)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def package_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    packages: dict[str, set[str]] = defaultdict(set)
    for source, targets in graph.items():
        for target in targets:
            if package_of(source) != package_of(target):
                packages[package_of(source)].add(package_of(target))
    return packages


# ---------------------------------------------------------------- the checks

def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    problems = []
    for source, targets in sorted(graph.items()):
        source_layer = layer_of(source)
        if source_layer is None:
            problems.append(f"{source} is in no layer: add it to LAYERS in {Path(__file__).name}")
            continue
        for target in sorted(targets):
            target_layer = layer_of(target)
            if target_layer is not None and target_layer > source_layer:
                problems.append(f"{source} ({LAYERS[source_layer][0]}) imports {target} "
                                f"({LAYERS[target_layer][0]}): an upward import")
    return problems


def infrastructure_leaks(graph: dict[str, set[str]]) -> list[str]:
    problems = []
    for source, targets in sorted(graph.items()):
        for own in ("core.sources", "core.storage"):
            if under(source, (own,)):
                problems.extend(f"{source} imports {t}: {own} may import only itself and the kernel"
                                for t in sorted(targets) if not under(t, (own, *INFRASTRUCTURE_MAY_IMPORT)))
    return problems


def adapter_leaks(graph: dict[str, set[str]]) -> list[str]:
    return [f"{source} imports {target}: adapters go through the door ({', '.join(ADAPTER_MAY_IMPORT)})"
            for source, targets in sorted(graph.items()) if under(source, ("bots",))
            for target in sorted(targets) if under(target, ("core",)) and not under(target, ADAPTER_MAY_IMPORT)]


def feature_storage_leaks(imports: dict[str, set[str]]) -> list[str]:
    return [f"{source} imports {target}: tables and SQL live in core/storage"
            for source, targets in sorted(imports.items()) if under(source, FEATURES)
            for target in sorted(targets)
            if under(target, FEATURES_MAY_NOT_IMPORT) and not under(target, FEATURES_MAY_STILL_IMPORT)]


@pytest.fixture(scope="module")
def modules() -> dict[str, Path]:
    return project_modules()


def test_no_import_points_up(modules: dict[str, Path]) -> None:
    problems = upward_imports(import_graph(modules))
    assert not problems, "\n".join(problems)


def test_sources_and_storage_know_only_the_kernel(modules: dict[str, Path]) -> None:
    problems = infrastructure_leaks(import_graph(modules))
    assert not problems, "\n".join(problems)


def test_adapters_import_only_the_door(modules: dict[str, Path]) -> None:
    problems = adapter_leaks(import_graph(modules))
    assert not problems, "\n".join(problems)


def test_features_touch_no_tables_or_sql(modules: dict[str, Path]) -> None:
    problems = feature_storage_leaks(external_imports(modules))
    assert not problems, "\n".join(problems)


def test_no_package_cycle(modules: dict[str, Path]) -> None:
    cycle = find_cycle(package_graph(import_graph(modules)))
    assert cycle is None, "package cycle: " + " -> ".join(cycle or ())


def test_no_file_cycle(modules: dict[str, Path]) -> None:
    cycle = find_cycle(import_graph(modules))
    assert cycle is None, "file cycle: " + " -> ".join(cycle or ())


# ---------------------------------------------------------------- the checks catch what they claim to

def _tree(tmp_path: Path, files: dict[str, str]) -> dict[str, Path]:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for folder in {p.parent for p in tmp_path.rglob("*.py")}:
        (folder / "__init__.py").touch()
    return project_modules(tmp_path)


def test_each_check_catches_an_offender(tmp_path: Path) -> None:
    modules = _tree(tmp_path, {
        "core/sources/feed.py": "from core.storage.repos import save\n",
        "core/storage/repos.py": "def save(): ...\n",
        "core/model/papers.py": "from core.digest import plan\n",
        "core/digest/plan.py": "from sqlmodel import select\nfrom core.storage.models import PaperRow\n",
        "core/storage/models.py": "",
        "bots/slack/render.py": "from core.storage import repos\nfrom bots.slack import blocks\n",
        "bots/slack/blocks.py": "from . import render\n",
    })
    graph = import_graph(modules)
    assert any("core.model.papers" in p and "upward" in p for p in upward_imports(graph))
    assert any("core.sources.feed imports core.storage.repos" in p for p in infrastructure_leaks(graph))
    assert any("bots.slack.render imports core.storage.repos" in p for p in adapter_leaks(graph))
    leaks = feature_storage_leaks(external_imports(modules))
    assert any("sqlmodel" in p for p in leaks) and any("core.storage.models" in p for p in leaks)
    assert find_cycle(graph) is not None  # render <-> blocks, through a relative import
    assert find_cycle(package_graph({"core.a.x": {"core.b.y"}, "core.b.y": {"core.a.z"}})) == [
        "core.a", "core.b", "core.a"]
