"""Rules of the house that a test can hold: core stays platform-neutral, and tests stay off the network."""

from __future__ import annotations

import ast
import socket
from pathlib import Path

import pytest

from core.config import PROJECT_ROOT
from tests.conftest import NonLoopbackConnection

FORBIDDEN = ("bots", "slack_bolt", "slack_sdk", "discord")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_core_imports_no_adapter_or_platform_library() -> None:
    offenders = []
    for path in sorted((PROJECT_ROOT / "core").rglob("*.py")):
        for name in _imports(path):
            if name.split(".")[0] in FORBIDDEN:
                offenders.append(f"{path.relative_to(PROJECT_ROOT)} imports {name}")
    assert not offenders, "\n".join(offenders)


def test_the_check_would_catch_an_offender(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from slack_sdk import WebClient\nimport discord.ui\n")
    assert {"slack_sdk", "discord.ui"} <= _imports(bad)


def test_non_loopback_connections_fail() -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        with pytest.raises(NonLoopbackConnection):
            sock.connect(("192.0.2.1", 80))  # TEST-NET-1: never routed, and never tried
    finally:
        sock.close()


async def test_non_loopback_fails_through_httpx_too() -> None:
    import httpx

    async with httpx.AsyncClient() as client:
        with pytest.raises(BaseException) as info:
            await client.get("http://192.0.2.1/")
    assert _contains(info.value, NonLoopbackConnection)


def _contains(error: BaseException | None, kind: type[BaseException]) -> bool:
    """Look through causes, contexts and exception groups (anyio wraps connection attempts in one)."""
    seen: set[int] = set()
    stack = [error]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, kind):
            return True
        stack += [current.__cause__, current.__context__, *getattr(current, "exceptions", ())]
    return False


def test_loopback_connections_work() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    client = socket.socket()
    try:
        client.connect(server.getsockname())
    finally:
        client.close()
        server.close()
