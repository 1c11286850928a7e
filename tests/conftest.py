"""Shared fixtures: the network guard, the recordings folder, and a fresh database per test.

Every storage test runs against SQLite, and again against PostgreSQL when DATABASE_URL points at one
(`.ci/run` does both).
"""

from __future__ import annotations

import ipaddress
import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from core.config import PROJECT_ROOT, _sync_database_url

# ---------------------------------------------------------------- network guard


class NonLoopbackConnection(AssertionError):
    """A test tried to reach a host that is not this machine."""


def _is_loopback(address: Any) -> bool:
    if not isinstance(address, tuple) or not address:
        return True  # AF_UNIX paths and the like never leave the machine
    host = address[0]
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    if not _is_loopback(address):
        raise NonLoopbackConnection(f"test tried to connect to {address!r}; tests may only use loopback")
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> Any:
    if not _is_loopback(address):
        raise NonLoopbackConnection(f"test tried to connect to {address!r}; tests may only use loopback")
    return _real_connect_ex(self, address)


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _no_real_services(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Point every external base URL at a closed loopback port, and drop credentials from the host's env."""
    closed = "http://127.0.0.1:9"
    for name in (
        "RADAR_ARXIV_API_URL",
        "RADAR_ARXIV_RSS_URL",
        "RADAR_OPENALEX_URL",
        "RADAR_SEMANTIC_SCHOLAR_URL",
        "RADAR_SEMANTIC_SCHOLAR_RECOMMENDATIONS_URL",
        "RADAR_HUGGINGFACE_URL",
        "SLACK_API_URL",
        "DISCORD_API_URL",
    ):
        monkeypatch.setenv(name, closed + "/")
    monkeypatch.setenv("DISCORD_GATEWAY_URL", "ws://127.0.0.1:9/")
    # Ingest's optional extras ask Hugging Face and Semantic Scholar after every feed: only the tests about them
    # (tests/digest/test_enrich.py) route those calls and turn them on.
    monkeypatch.setenv("RADAR_ENRICH_DEADLINE_S", "0")
    # The console writes researcher cards' pictures: never into the checkout.
    monkeypatch.setenv("RADAR_IMAGE_DIR", str(tmp_path_factory.mktemp("images")))
    for name in (
        "OPENALEX_API_KEY",
        "SEMANTIC_SCHOLAR_API_KEY",
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_APP_TOKEN",
        "SLACK_CLIENT_ID",
        "SLACK_CLIENT_SECRET",
        "DISCORD_BOT_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)
    from core.config import get_settings

    get_settings.cache_clear()


# ---------------------------------------------------------------- recordings


def recordings_dir() -> Path:
    configured = os.environ.get("RADAR_RECORDINGS")
    path = Path(configured) if configured else PROJECT_ROOT.parent / "shared" / "fixtures"
    return path


@pytest.fixture(scope="session")
def recordings() -> Path:
    """The real recorded API responses, read in place (never copied into the project)."""
    path = recordings_dir()
    if not (path / "PROVENANCE.md").is_file():
        message = (
            f"recorded API responses not found at {path}; put the shared fixtures folder beside the checkout "
            "(../shared/fixtures) or set RADAR_RECORDINGS to its path"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def synthetic() -> Path:
    """Our own small fixtures (`synthetic_*`), present in every clone."""
    return FIXTURES


# ---------------------------------------------------------------- databases


def _postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql")) else None


@pytest.fixture(scope="session")
def database_backend() -> str:
    return "postgresql" if _postgres_url() else "sqlite"


@pytest.fixture(scope="session")
def _postgres_template() -> Iterator[str | None]:
    """On PostgreSQL: one database for the session, migrated once; tests truncate between runs."""
    base = _postgres_url()
    if base is None:
        yield None
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from core.storage.db import upgrade

    admin_url = make_url(_sync_database_url(base))
    name = f"radar_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test copies, so migrations run once per session."""
    from core.storage.db import upgrade

    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def database_url(
    tmp_path: Path, _postgres_template: str | None, _sqlite_template: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A migrated, empty database for this test; DATABASE_URL is set to it for code that reads settings."""
    if _postgres_template is not None:
        from sqlalchemy import create_engine, text
        from sqlmodel import SQLModel

        import core.storage.models  # noqa: F401

        engine = create_engine(_postgres_template)
        with engine.begin() as conn:
            names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            # Tables made outside our migrations (slack_sdk's stores, APScheduler's jobs) are dropped.
            known = {t.name for t in SQLModel.metadata.sorted_tables} | {"alembic_version"}
            rows = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
            for (table,) in rows.all():
                if table not in known:
                    conn.execute(text(f'DROP TABLE IF EXISTS "{table}" CASCADE'))
        engine.dispose()
        url = _postgres_template
    else:
        import shutil

        path = tmp_path / "radar.db"
        shutil.copyfile(_sqlite_template, path)
        url = f"sqlite:///{path}"
    monkeypatch.setenv("DATABASE_URL", url)
    from core.config import get_settings

    get_settings.cache_clear()
    yield url


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Any]:
    from core.storage.db import Database

    database = Database(database_url)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
async def app_factory(database_url: str) -> AsyncIterator[Any]:
    """Build Apps on this test's database with routed mock sources: `app_factory(router, now=..., **settings)`."""
    from tests.fakes import make_app

    made: list[Any] = []

    def factory(router: Any = None, **kwargs: Any) -> Any:
        app = make_app(database_url, router, **kwargs)
        made.append(app)
        return app

    yield factory
    for app in made:
        await app.aclose()
