"""Pausing and resuming every channel of a workspace when Slack takes our access away or gives it back.

Subscriptions are kept: a workspace that reinstalls the app gets its digests back without redoing anything.
Only channels that were running are paused, with a reason that `status` shows; a channel a manager paused
on purpose keeps its own reason and is not resumed by a reinstall.
"""

from __future__ import annotations

import logging

from core.bootstrap import App
from core.storage import repos

log = logging.getLogger(__name__)

# Every pause that only a (re)install can lift starts with this, so that a reinstall knows what to resume.
ACCESS_LOST = "Slack workspace access lost: "
UNINSTALLED = ACCESS_LOST + "Paper Radar was uninstalled. Reinstall it to get digests again."
TOKENS_REVOKED = ACCESS_LOST + "Paper Radar's token was revoked. Reinstall it to get digests again."


async def pause_workspace(app: App, team_id: str, reason: str) -> int:
    """Pause every running Slack channel of `team_id`; returns how many were paused."""
    async with app.db.session() as session:
        count = await repos.pause_workspace(session, "slack", team_id, reason)
        await session.commit()
    log.info("slack: paused %d channel(s) of workspace %s (%s)", count, team_id, reason)
    return count


async def resume_workspace(app: App, team_id: str) -> int:
    """After a (re)install: resume the channels that lost access, not those a manager paused."""
    async with app.db.session() as session:
        count = await repos.resume_workspace(session, "slack", team_id, ACCESS_LOST)
        await session.commit()
    if count:
        log.info("slack: resumed %d channel(s) of workspace %s after install", count, team_id)
    return count
