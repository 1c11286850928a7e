"""Migration 0004: channels paused before the cause had a column get theirs from the wordings then in use,
so that a reinstall after the upgrade resumes exactly what it resumed before it."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import create_engine

from core.config import _sync_database_url
from core.storage.db import upgrade
from tests.storage.test_storage import _empty_database

DESTINATIONS = sa.table(
    "destinations", *(sa.column(name) for name in (
        "platform", "workspace_id", "channel_id", "timezone", "digest_time", "weekdays", "max_items", "paused",
        "paused_reason", "include_updates", "include_crosslists", "quiet_notice", "next_subscription_number",
        "created_at")),
)
# channel -> (paused, reason as the releases before 0004 wrote it, cause expected after it)
BEFORE = {
    "uninstalled": (True, "Slack workspace access lost: Paper Radar was uninstalled. Reinstall it to get digests "
                          "again.", "access_lost"),
    "revoked-at-post": (True, "Slack workspace access lost: token_revoked (the bot token was revoked). Reinstall "
                              "Paper Radar.", "access_lost"),
    "left-server": (True, "the bot was removed from this Discord server; add it again and use /radar resume",
                    "access_lost"),
    "manager": (True, "paused by a channel manager", "manager"),
    "gone": (True, "Slack: channel_not_found (the channel no longer exists or Paper Radar cannot see it)",
             "delivery"),
    "mentions-it-later": (True, "Slack: is_archived; Slack workspace access lost: ", "delivery"),
    "running": (False, None, None),
}


async def test_0004_types_the_causes_of_existing_pauses(tmp_path, database_backend: str) -> None:  # type: ignore[no-untyped-def]
    for url in _empty_database(tmp_path, database_backend):
        upgrade(url, "0003")
        engine = create_engine(_sync_database_url(url))
        try:
            with engine.begin() as conn:
                conn.execute(DESTINATIONS.insert(), [
                    {"platform": "slack", "workspace_id": "T1", "channel_id": name, "timezone": "UTC",
                     "digest_time": "08:00", "weekdays": "mon-fri", "max_items": 10, "paused": paused,
                     "paused_reason": reason, "include_updates": False, "include_crosslists": True,
                     "quiet_notice": False, "next_subscription_number": 1, "created_at": datetime.now(UTC)}
                    for name, (paused, reason, _cause) in BEFORE.items()])
            upgrade(url)
            with engine.connect() as conn:
                found = dict(conn.execute(sa.text("SELECT channel_id, pause_cause FROM destinations")).all())
                reasons = dict(conn.execute(sa.text("SELECT channel_id, paused_reason FROM destinations")).all())
        finally:
            engine.dispose()
        assert found == {name: cause for name, (_paused, _reason, cause) in BEFORE.items()}
        assert reasons == {name: reason for name, (_paused, reason, _cause) in BEFORE.items()}  # words kept
