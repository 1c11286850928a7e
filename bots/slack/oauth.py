"""Installing into any number of workspaces: slack_sdk's SQLAlchemy stores in our database, tokens encrypted.

The stores create their own tables on first use (they are slack_sdk's schema, not our migrations'). With
RADAR_SECRET_KEY set, bot and user tokens are sealed with AES-GCM under a key derived from it before they
reach the database, so a leaked backup or a read-only SQL injection does not leak workspace tokens. Rows
written before a key was set stay readable, and are sealed the next time the workspace installs.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import logging
import os
from datetime import UTC, datetime
from typing import Any

from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.sqlalchemy_utils import normalize_datetime_for_db
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

SEALED = "enc1:"
_AAD = b"paper-radar slack token v1"
_TOKEN_FIELDS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")


class TokenKeyError(RuntimeError):
    """Stored tokens cannot be opened: RADAR_SECRET_KEY changed or the row was tampered with."""


class TokenCipher:
    """Seals tokens for the database: `enc1:` + base64(nonce | AES-256-GCM ciphertext)."""

    def __init__(self, secret: str) -> None:
        try:
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM
            from cryptography.hazmat.primitives.hashes import SHA256
            from cryptography.hazmat.primitives.kdf.hkdf import HKDF
        except ImportError as error:  # pragma: no cover - depends on the installation
            raise RuntimeError("RADAR_SECRET_KEY is set but the `cryptography` package is missing; "
                               "install it to store Slack tokens encrypted") from error
        if len(secret) < 16:
            raise ValueError("RADAR_SECRET_KEY is too short to encrypt tokens with (use 32+ random characters)")
        key = HKDF(algorithm=SHA256(), length=32, salt=b"paper-radar", info=b"slack-oauth-tokens").derive(
            secret.encode("utf-8"))
        self._aead = AESGCM(key)

    def seal(self, value: str | None) -> str | None:
        if not value or value.startswith(SEALED):
            return value
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, value.encode("utf-8"), _AAD)
        return SEALED + base64.urlsafe_b64encode(nonce + sealed).decode("ascii").rstrip("=")

    def open(self, value: str | None) -> str | None:
        if not value or not value.startswith(SEALED):
            return value  # stored before a key was configured
        from cryptography.exceptions import InvalidTag

        raw = value[len(SEALED):]
        data = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
        try:
            return self._aead.decrypt(data[:12], data[12:], _AAD).decode("utf-8")
        except InvalidTag:
            raise TokenKeyError("a stored Slack token cannot be decrypted: was RADAR_SECRET_KEY changed?") from None


class _Tables:
    """Creates a store's tables once per process, on first use."""

    def __init__(self) -> None:
        self._done = False
        self._lock = asyncio.Lock()

    async def ensure(self, create: Any) -> None:
        if self._done:
            return
        async with self._lock:
            if not self._done:
                try:
                    await create()
                except Exception:  # another process created them between its check and ours
                    log.debug("slack store tables: create raced, checking again", exc_info=True)
                    await create()
                self._done = True


class InstallationStore(AsyncSQLAlchemyInstallationStore):
    """slack_sdk's store, with tokens sealed at rest when a cipher is given."""

    def __init__(self, client_id: str, engine: AsyncEngine, cipher: TokenCipher | None = None) -> None:
        super().__init__(client_id=client_id, engine=engine, logger=log)
        self.cipher = cipher
        self._tables = _Tables()

    def _seal(self, record: Any) -> Any:
        if self.cipher is None:
            return record
        sealed = copy.copy(record)
        for name in _TOKEN_FIELDS:
            if hasattr(sealed, name):
                setattr(sealed, name, self.cipher.seal(getattr(sealed, name)))
        return sealed

    def _open(self, record: Any) -> Any:
        if record is None or self.cipher is None:
            return record
        for name in _TOKEN_FIELDS:
            if hasattr(record, name):
                setattr(record, name, self.cipher.open(getattr(record, name)))
        return record

    async def async_save(self, installation: Installation) -> None:
        await self._tables.ensure(self.create_tables)
        await super().async_save(self._seal(installation))  # its bot row goes through async_save_bot below

    async def async_save_bot(self, bot: Bot) -> None:
        await self._tables.ensure(self.create_tables)
        await super().async_save_bot(self._seal(bot))

    async def async_find_bot(self, *, enterprise_id: str | None, team_id: str | None,
                             is_enterprise_install: bool | None = False) -> Bot | None:
        await self._tables.ensure(self.create_tables)
        found = await super().async_find_bot(enterprise_id=enterprise_id, team_id=team_id,
                                             is_enterprise_install=is_enterprise_install)
        opened: Bot | None = self._open(found)
        return opened

    async def async_find_installation(self, *, enterprise_id: str | None, team_id: str | None,
                                      user_id: str | None = None,
                                      is_enterprise_install: bool | None = False) -> Installation | None:
        await self._tables.ensure(self.create_tables)
        found = await super().async_find_installation(enterprise_id=enterprise_id, team_id=team_id,
                                                      user_id=user_id, is_enterprise_install=is_enterprise_install)
        opened_installation: Installation | None = self._open(found)
        return opened_installation

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self._tables.ensure(self.create_tables)
        await super().async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)

    async def async_delete_installation(self, *, enterprise_id: str | None, team_id: str | None,
                                        user_id: str | None = None) -> None:
        await self._tables.ensure(self.create_tables)
        await super().async_delete_installation(enterprise_id=enterprise_id, team_id=team_id, user_id=user_id)

    async def bot_token(self, team_id: str) -> str | None:
        """The workspace's bot token for posting digests (None when the app is not installed there)."""
        bot = await self.async_find_bot(enterprise_id=None, team_id=team_id)
        return bot.bot_token if bot is not None else None


class StateStore(AsyncSQLAlchemyOAuthStateStore):
    """slack_sdk's OAuth state store, creating its table on first use, and keeping it small.

    Every visit to the public install page issues a state, and slack_sdk deletes one only when an install uses
    it: a crawler or a flood would grow the table forever. Here expired states are deleted, and past `max_states`
    live ones the oldest go (an install takes a person a minute; under a flood, one whose state was pushed out is
    told to start again). The purge runs on the first issue and then every `PURGE_EVERY` issues, so the table
    holds at most `max_states + PURGE_EVERY` rows per web process."""

    PURGE_EVERY = 20

    def __init__(self, engine: AsyncEngine, expiration_seconds: int = 600, max_states: int = 1000) -> None:
        super().__init__(expiration_seconds=expiration_seconds, engine=engine, logger=log)
        self._tables = _Tables()
        self.max_states = max_states
        self._issued = 0  # in this process

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        await self._tables.ensure(self.create_tables)
        state = await super().async_issue(*args, **kwargs)
        self._issued += 1
        if (self._issued - 1) % self.PURGE_EVERY == 0:
            await self.purge()
        return state

    async def purge(self) -> int:
        """Delete expired states and all but the newest `max_states`; returns how many rows went."""
        table, c = self.oauth_states, self.oauth_states.c
        now = normalize_datetime_for_db(datetime.now(UTC))
        async with self.engine.begin() as conn:
            deleted = (await conn.execute(table.delete().where(c.expire_at <= now))).rowcount or 0
            oldest_kept = select(c.id).order_by(c.id.desc()).offset(self.max_states - 1).limit(1)
            boundary = (await conn.execute(oldest_kept)).scalar()
            if boundary is not None:
                deleted += (await conn.execute(table.delete().where(c.id < boundary))).rowcount or 0
        if deleted:
            log.debug("slack: purged %d OAuth states", deleted)
        return deleted

    async def async_consume(self, state: str) -> bool:
        await self._tables.ensure(self.create_tables)
        return await super().async_consume(state)
