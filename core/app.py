"""The running core: settings, database and source clients, created once per process."""

from __future__ import annotations

import asyncio
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import httpx

from core.config import Settings, get_settings
from core.logsetup import protect_library_loggers
from core.sources.http import Clock, Sleep
from core.sources.hub import SourceHub
from core.storage.db import Database

if TYPE_CHECKING:
    from core.model.sink import DigestSink


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _instance_id() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class App:
    """Everything a handler needs; adapters and the scheduler share one per process."""

    settings: Settings
    db: Database
    sources: SourceHub
    now: Callable[[], datetime] = field(default=_utcnow)
    # Digest delivery per platform ("slack", "discord", "console"), registered by the adapters that run here.
    sinks: dict[str, DigestSink] = field(default_factory=dict)
    # Names this process in digest-run leases (several clock processes may share one database).
    instance_id: str = field(default_factory=_instance_id)

    @classmethod
    def create(
        cls,
        settings: Settings | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.monotonic,
        now: Callable[[], datetime] = _utcnow,
    ) -> App:
        settings = settings or get_settings()
        protect_library_loggers(settings)
        return cls(
            settings=settings,
            db=Database.from_settings(settings),
            sources=SourceHub(settings, transport=transport, sleep=sleep, clock=clock),
            now=now,
        )

    async def aclose(self) -> None:
        await self.sources.aclose()
        await self.db.dispose()


_current: App | None = None


def set_current_app(app: App | None) -> None:
    """Make `app` the one `core.handle` uses when none is passed (set by `radar serve`, `ask`, `console`)."""
    global _current
    _current = app


def current_app() -> App:
    if _current is None:
        raise RuntimeError("no App is configured; call core.app.set_current_app(App.create()) first")
    return _current
