"""A workspace or server losing and regaining the bot's access: the handlers of AccessLost and AccessRegained.

Subscriptions are kept: a workspace that reinstalls the app gets its digests back without redoing anything.
Only channels that were running are paused, with a reason that `status` shows and the typed cause
`access_lost`; a channel a manager paused keeps its own reason and cause, so regaining access leaves it
paused. The Destination names the workspace or server; its channel is not read (adapters pass
`EVERY_CHANNEL`), because the platform takes access away from all of them at once.
"""

from __future__ import annotations

import logging

from core.app import App
from core.commands import AccessLost, AccessRegained
from core.model.context import Actor, Destination
from core.model.enums import AccessCause
from core.storage import access
from core.views import Notice

log = logging.getLogger(__name__)

# What `status` and `settings` show in a channel paused this way: what happened and how to undo it.
SLACK_ACCESS_LOST = "Slack workspace access lost: "
REASONS: dict[AccessCause, str] = {
    AccessCause.UNINSTALLED: SLACK_ACCESS_LOST + "Paper Radar was uninstalled. Reinstall it to get digests again.",
    AccessCause.TOKENS_REVOKED:
        SLACK_ACCESS_LOST + "Paper Radar's token was revoked. Reinstall it to get digests again.",
    AccessCause.REMOVED_FROM_GUILD:
        "the bot was removed from this Discord server; add it again and use /radar resume",
}


def access_lost_reason(cause: AccessCause) -> str:
    return REASONS[AccessCause(cause)]


async def access_lost(app: App, command: AccessLost, actor: Actor, where: Destination) -> Notice:
    reason = access_lost_reason(command.cause)
    async with app.db.session() as session:
        count = await access.pause_workspace_channels(session, where.platform, where.workspace_id, reason)
        await session.commit()
    log.info("%s: paused %d channel(s) of workspace %s (%s)", where.platform, count, where.workspace_id,
             AccessCause(command.cause).value)
    return Notice(f"Paused {count} channel(s); their subscriptions are kept.", title="Access lost")


async def access_regained(app: App, command: AccessRegained, actor: Actor, where: Destination) -> Notice:
    async with app.db.session() as session:
        count = await access.resume_workspace_channels(session, where.platform, where.workspace_id)
        await session.commit()
    if count:
        log.info("%s: resumed %d channel(s) of workspace %s after access came back", where.platform, count,
                 where.workspace_id)
    return Notice(f"Resumed {count} channel(s) that had lost access.", title="Access regained")
