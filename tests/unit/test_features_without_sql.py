"""The subscription, researcher and paper features ask storage by name: no tables, no query builders.

Queries live in `core/storage` (channels, researchers, repos); a feature that imported a table or SQLAlchemy
would start writing its own again. Imports under `if TYPE_CHECKING:` count too: `ast.walk` sees them.
"""

from __future__ import annotations

import ast
from pathlib import Path

from core.config import PROJECT_ROOT

FEATURES = ("core/subscriptions", "core/researchers", "core/papers")
FORBIDDEN_PREFIXES = ("sqlalchemy", "sqlmodel", "core.storage.models")


def _imported_modules(source: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            # `from core.storage import models` names the module in the alias, not in `node.module`.
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _forbidden(name: str) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in FORBIDDEN_PREFIXES)


def test_features_import_no_tables_and_no_sql() -> None:
    offenders = []
    for folder in FEATURES:
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            for name in sorted(_imported_modules(path.read_text(encoding="utf-8"))):
                if _forbidden(name):
                    offenders.append(f"{path.relative_to(PROJECT_ROOT)} imports {name}")
    assert not offenders, "\n".join(offenders)


def test_the_check_sees_every_way_in(tmp_path: Path) -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "from core.storage import models\n"
        "import sqlalchemy.exc\n"
        "if TYPE_CHECKING:\n"
        "    from sqlmodel.ext.asyncio.session import AsyncSession\n"
        "from core.storage import channels\n"
    )
    found = {name for name in _imported_modules(source) if _forbidden(name)}
    assert {"core.storage.models", "sqlalchemy.exc", "sqlmodel.ext.asyncio.session"} <= found
    assert not {name for name in found if "channels" in name or name.startswith("typing")}
