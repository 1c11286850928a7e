"""Engines, sessions and migrations for SQLite (default) and PostgreSQL."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson
from alembic import command as alembic_command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import (
    AsyncSession as AsyncSession,  # re-exported: features type their sessions with it
)

from core.config import Settings, _async_database_url, _sync_database_url

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"


def _ensure_sqlite_dir(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the web role read while the clock writes; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def json_text(value: Any) -> str:
    """A JSON column's value as the engine writes it (statements that bind JSON as text use it too)."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


class Database:
    """The async engine and a session factory for one database URL."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = _async_database_url(url)
        self.sync_url = _sync_database_url(url)
        _ensure_sqlite_dir(self.url)
        # orjson: a run's backlog (every matched paper past the cap, with its reasons) is written for thousands
        # of channels in the minute their digests fire; the standard library's encoder was a fifth of that time.
        kwargs: dict[str, Any] = {"echo": echo, "json_serializer": json_text, "json_deserializer": orjson.loads}
        if self.is_sqlite:
            kwargs["connect_args"] = {"timeout": 30}
        else:
            kwargs.update(pool_pre_ping=True, pool_size=10, max_overflow=20)
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self._sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        return cls(settings.database_url)

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session:
            yield session

    async def schema_revision(self) -> str | None:
        """The applied Alembic revision; raises when the database cannot be reached."""
        async with self.engine.connect() as conn:
            return await conn.run_sync(_current_revision)

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as exc:  # any driver error means "not reachable" to a health check
            log.warning("database is not reachable: %s", type(exc).__name__)
            return False
        return True

    async def writable(self, timeout_s: float = 2.0) -> bool:
        """Whether a write goes through now, waiting at most `timeout_s` for a lock.

        The write is an UPDATE that changes nothing (the schema version row set to itself) in a transaction that
        is rolled back: it takes the write lock and goes through the write path like any write, so a database
        that is read-only, refuses writes or is held by a stuck writer says so, yet nothing is written and no
        table of its own is needed."""
        try:
            async with self.engine.connect() as conn:
                restore = None
                if self.is_sqlite:
                    restore = (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar()
                    await conn.exec_driver_sql(f"PRAGMA busy_timeout={int(timeout_s * 1000)}")
                else:  # LOCAL: both end with the transaction
                    await conn.exec_driver_sql(f"SET LOCAL lock_timeout = {int(timeout_s * 1000)}")
                    await conn.exec_driver_sql(f"SET LOCAL statement_timeout = {int(timeout_s * 1000)}")
                try:
                    await conn.execute(text("UPDATE alembic_version SET version_num = version_num"))
                finally:
                    await conn.rollback()
                    if restore is not None:
                        await conn.exec_driver_sql(f"PRAGMA busy_timeout={int(restore)}")
        except Exception as exc:  # any driver error means "writes fail" to a health check
            reason = str(getattr(exc, "orig", None) or exc).split("\n", 1)[0][:200]
            log.warning("database refuses writes: %s %s", type(exc).__name__, reason)
            return False
        return True

    async def dispose(self) -> None:
        await self.engine.dispose()


def _current_revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def alembic_config(url: str) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", _sync_database_url(url).replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Apply migrations up to `revision` (what `radar db upgrade` and the release phase run)."""
    _ensure_sqlite_dir(_sync_database_url(url))
    alembic_command.upgrade(alembic_config(url), revision)


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def jobstore_engine(url: str) -> Engine:
    """The job store's own synchronous engine. On SQLite it waits for the write lock as long as our async
    engine does (the job store works on its own thread, so waiting blocks nothing else); the database is in WAL
    mode already (a persistent setting our engine made), which two job stores starting together must not race
    to set again."""
    if make_url(url).get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, pool_size=2, max_overflow=2)
    return create_engine(url, connect_args={"timeout": 30})
