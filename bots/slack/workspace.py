"""Slack telling us a workspace lost or regained our access, handed to core as the platform's own commands.

Core pauses every running channel of the workspace when access is lost (subscriptions kept, the reason
shown by `status`) and, on a (re)install, resumes only the channels it paused that way: a channel a manager
paused stays paused. See core/subscriptions/access.py.
"""

from __future__ import annotations

import logging

from core.bootstrap import App
from core.commands import EVERY_CHANNEL, AccessLost, AccessRegained
from core.model.context import Destination
from core.model.enums import AccessCause
from core.rules import platform_actor
from core.service import handle
from core.views import Notice, View

log = logging.getLogger(__name__)
PLATFORM = "slack"


async def access_lost(app: App, team_id: str, cause: AccessCause) -> View:
    return await _report(app, team_id, AccessLost(cause))


async def access_regained(app: App, team_id: str) -> View:
    return await _report(app, team_id, AccessRegained())


async def _report(app: App, team_id: str, command: AccessLost | AccessRegained) -> View:
    where = Destination(PLATFORM, team_id, EVERY_CHANNEL)
    view = await handle(command, platform_actor(PLATFORM), where, app=app)
    if not isinstance(view, Notice):  # nobody reads this answer: a failure must at least reach the log
        log.warning("slack: %s for workspace %s was not applied: %s", type(command).__name__, team_id, view)
    return view
