"""The running core: settings, database and source clients, one per process (built by `core.bootstrap`)."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from core.config import Settings
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
        raise RuntimeError("no App is configured; start it through core.bootstrap.running_app()")
    return _current
