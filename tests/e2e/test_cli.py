"""The `radar` command as a person uses it: ask, usage errors, and the service answering /healthz."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import httpx

from core.config import PROJECT_ROOT

RADAR = [sys.executable, "-m", "bots.cli"]


def _radar(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*RADAR, *args], capture_output=True, text=True, timeout=timeout, cwd=PROJECT_ROOT,
                          env=os.environ.copy())


def test_ask_help_prints_every_command(database_url: str) -> None:
    result = _radar("ask", "help")
    assert result.returncode == 0, result.stderr
    for command in ("researcher", "paper", "subscribe topic", "follow", "settings", "digest", "export", "status"):
        assert command in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_ask_help_for_one_command_shows_examples(database_url: str) -> None:
    result = _radar("ask", "/radar help subscribe")
    assert result.returncode == 0
    assert 'subscribe topic "graph neural networks" -survey' in result.stdout


def test_ask_nonsense_is_a_usage_error(database_url: str) -> None:
    result = _radar("ask", "nonsense")
    assert result.returncode == 2
    assert "I don't know the command `nonsense`" in result.stderr
    assert "Traceback" not in result.stderr


def test_ask_suggests_the_command_meant(database_url: str) -> None:
    result = _radar("ask", "subscrbe topic diffusion")
    assert result.returncode == 2 and "Did you mean `subscribe`?" in result.stderr


def test_ask_json(database_url: str) -> None:
    result = _radar("ask", "help status", "--json")
    assert result.returncode == 0
    data = json.loads(result.stdout)
    assert data["view"] == "HelpView" and data["entries"][0]["command"] == "status"


def test_unknown_subcommand_and_bad_flag_exit_2() -> None:
    for args in (("frobnicate",), ("serve", "--role", "moon"), ("ask",)):
        result = _radar(*args)
        assert result.returncode == 2
        assert "usage: radar" in result.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _read(log: IO[str]) -> str:
    log.flush()
    with open(log.name, encoding="utf-8", errors="replace") as again:
        return again.read()


def test_serve_answers_healthz_and_says_what_is_off(database_url: str, tmp_path: Path) -> None:
    port = _free_port()
    log = (tmp_path / "serve.log").open("w+")
    process = subprocess.Popen([*RADAR, "serve", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT,
                               cwd=PROJECT_ROOT, env=os.environ.copy())
    try:
        body = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and body is None:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                body = response.json()
            except httpx.TransportError:
                time.sleep(0.2)
        assert body is not None, "the web role never answered"
        assert response.status_code == 200
        assert body["database"] == "ok" and body["schema"] == body["schema_expected"] and body["version"]
        assert body["database_write"] == "ok"
        # The web role answers first; the clock starts beside it, in its own time on a loaded machine.
        while time.monotonic() < deadline + 30 and "clock: scheduler started" not in _read(log):
            time.sleep(0.2)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
    log.seek(0)
    output = log.read()
    assert "discord: off (set DISCORD_BOT_TOKEN to turn it on)" in output
    assert "slack: off" in output and "clock: scheduler started" in output
    assert process.returncode == 0
