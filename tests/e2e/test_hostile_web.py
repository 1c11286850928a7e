"""The web role against clients that send too much, too slowly or never, and a database that takes no writes.

The process test runs `radar serve --role web` (uvicorn with the role's own settings, Slack on) and talks raw HTTP
to it over loopback sockets; the others use the real web app (`create_web_app` + `build_slack`) in process.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bots.web import create_web_app
from core.config import PROJECT_ROOT, _sync_database_url
from tests.loopback import free_port

RADAR = [sys.executable, "-m", "bots.cli"]


# ---------------------------------------------------------------- in process: health under failing writes


@contextlib.contextmanager
def writes_blocked(database_url: str) -> Iterator[None]:
    """Another client holds the database's write lock (a stuck writer): reads go on, every write waits."""
    url = make_url(_sync_database_url(database_url))
    if url.get_backend_name() == "sqlite":
        holder = sqlite3.connect(str(url.database), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    engine = create_engine(url)
    try:
        with engine.connect() as conn, conn.begin():
            # EXCLUSIVE lets reads through and blocks every write to the table.
            conn.execute(text("LOCK TABLE alembic_version IN EXCLUSIVE MODE"))
            yield
    finally:
        engine.dispose()


async def test_healthz_reports_a_database_that_takes_no_writes(app_factory: Any, database_url: str) -> None:
    app = app_factory()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_web_app(app)),
                                 base_url="http://radar.test") as http:
        healthy = await http.get("/healthz")
        assert healthy.status_code == 200 and healthy.json()["status"] == "ok"
        with writes_blocked(database_url):
            started = time.monotonic()
            stuck = await http.get("/healthz")
            took = time.monotonic() - started
        assert stuck.status_code == 503, stuck.json()
        body = stuck.json()
        assert body["status"] == "degraded" and body["database"] == "ok" and body["database_write"] == "failing"
        assert took < 8, f"the health check took {took:.1f}s"
        again = await http.get("/healthz")
        assert again.status_code == 200 and again.json()["status"] == "ok" and again.json()["database_write"] == "ok"


# ---------------------------------------------------------------- the process


@contextlib.contextmanager
def web_role(tmp_path: Path, **settings: str) -> Iterator[tuple[int, Path]]:
    port = free_port()
    log = tmp_path / "web.log"
    env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-web-role-test", "SLACK_SIGNING_SECRET": "web-role-test-secret",
           "SLACK_API_URL": "http://127.0.0.1:9/api/", **settings}
    with log.open("w") as out:
        process = subprocess.Popen([*RADAR, "serve", "--role", "web", "--port", str(port)], stdout=out,
                                   stderr=subprocess.STDOUT, cwd=PROJECT_ROOT, env=env)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        yield port, log
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)


def _closed_within(sock: socket.socket, seconds: float, trickle: bytes = b"") -> tuple[float | None, bytes]:
    """Seconds until the server closes `sock` (None if it did not within `seconds`) and what it answered before,
    sending `trickle` a byte at a time every 0.2 s meanwhile."""
    started = time.monotonic()
    answer = b""
    position = 0
    while time.monotonic() - started < seconds:
        readable, _, _ = select.select([sock], [], [], 0.2)
        if readable:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                return time.monotonic() - started, answer
            answer += chunk
        elif trickle:
            with contextlib.suppress(OSError):
                sock.send(trickle[position % len(trickle):position % len(trickle) + 1])
            position += 1
    return None, answer


def test_the_web_role_bounds_what_a_client_may_send_and_how_long_it_may_take(tmp_path: Path,
                                                                            database_url: str) -> None:
    with web_role(tmp_path, RADAR_WEB_HEADER_TIMEOUT="1", RADAR_WEB_BODY_TIMEOUT="1") as (port, log):
        def connect() -> socket.socket:
            return socket.create_connection(("127.0.0.1", port), timeout=5)

        results: dict[str, Any] = {}

        def silent() -> None:  # connects and says nothing
            with connect() as sock:
                results["silent"], _ = _closed_within(sock, 6)

        def trickling_headers() -> None:  # a header byte every 0.2 s, forever
            with connect() as sock:
                sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: radar\r\n")
                results["trickle"], _ = _closed_within(sock, 6, trickle=b"X-Slow: still coming\r\n")

        def stalled_body() -> None:  # headers, 10 bytes of 100, then nothing
            with connect() as sock:
                sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: radar\r\nContent-Type: application/json\r\n"
                             b"Content-Length: 100\r\n\r\n{\"type\": ")
                results["stalled"], results["stalled_answer"] = _closed_within(sock, 6)

        def huge_body() -> None:  # announces 50 MB and sends none of it
            with connect() as sock:
                sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: radar\r\nContent-Length: 52428800\r\n\r\n")
                results["huge"], results["huge_answer"] = _closed_within(sock, 6)

        threads = [threading.Thread(target=t) for t in (silent, trickling_headers, stalled_body, huge_body)]
        for thread in threads:
            thread.start()
        # Meanwhile the role answers everyone else at once.
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
        for thread in threads:
            thread.join(timeout=15)
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200

    assert results["silent"] is not None and results["silent"] < 3, results
    assert results["trickle"] is not None and results["trickle"] < 3, results
    assert results["stalled"] is not None and results["stalled"] < 3, results
    assert results["stalled_answer"].startswith(b"HTTP/1.1 408"), results
    assert results["huge"] is not None and results["huge"] < 1, results
    assert results["huge_answer"].startswith(b"HTTP/1.1 413"), results
    output = log.read_text()
    assert "Traceback" not in output and "a body of 52428800 bytes" in output
