"""The Discord adapter only translates and renders: it reaches core through the door, and its files form no cycle."""

from __future__ import annotations

import ast
from pathlib import Path

from core.config import PROJECT_ROOT

ADAPTER = PROJECT_ROOT / "bots" / "discord"
# What an adapter may import of core: the door, the language, the views, the kernel, usage texts.
DOOR = ("core.commands", "core.views", "core.service", "core.bootstrap", "core.config", "core.model", "core.help",
        "core.app")  # core.app only for the App type, until core/bootstrap.py hands adapters what they need
# Pausing a guild's channels on removal is becoming a core command; until then client.py asks storage itself.
NOT_YET = {("client.py", "core.storage"), ("client.py", "core.storage.repos")}


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function (a late import is still a dependency)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from core import storage` imports core.storage: each name may be a module of the package.
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _files() -> list[Path]:
    return sorted(ADAPTER.rglob("*.py"))


def test_discord_reaches_core_only_through_the_door() -> None:
    offenders = []
    for path in _files():
        for name in _imports(path):
            inside = name.startswith("core.")  # `core` itself, the package, holds nothing
            allowed = any(name == door or name.startswith(f"{door}.") for door in DOOR)
            if inside and not allowed and (path.name, name) not in NOT_YET:
                offenders.append(f"{path.relative_to(PROJECT_ROOT)} imports {name}")
    assert not offenders, "\n".join(offenders)


def test_discord_modules_import_no_cycle() -> None:
    modules = {f"bots.discord.{path.stem}": path for path in _files() if path.stem != "__init__"}
    edges = {module: {name for name in _imports(path) if name in modules and name != module}
             for module, path in modules.items()}

    def cycle_from(start: str) -> list[str] | None:
        stack: list[tuple[str, list[str]]] = [(start, [start])]
        while stack:
            module, trail = stack.pop()
            for following in edges[module]:
                if following == start:
                    return [*trail, start]
                if following not in trail:
                    stack.append((following, [*trail, following]))
        return None

    cycles = [" -> ".join(found) for module in sorted(modules) if (found := cycle_from(module))]
    assert not cycles, "\n".join(cycles)


def test_the_cycle_check_would_catch_one(tmp_path: Path) -> None:
    late = tmp_path / "late.py"
    late.write_text("def f():\n    from bots.discord.client import point_at\n")
    grouped = tmp_path / "grouped.py"
    grouped.write_text("from bots.discord import limits\nfrom core import storage\n")
    assert "bots.discord.client" in _imports(late)
    assert {"bots.discord.limits", "core.storage"} <= _imports(grouped)
