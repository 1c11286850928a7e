"""The console adapter: the local terminal acts as one channel whose user may manage it."""

from __future__ import annotations

import getpass

from core.bootstrap import App
from core.model.context import Actor, Destination
from core.service import handle_text
from core.views import Problem, View

CONSOLE_DESTINATION = Destination(platform="console", workspace_id="local", channel_id="console")


def console_actor() -> Actor:
    try:
        user = getpass.getuser()
    except Exception:  # no login name in some containers
        user = "console"
    return Actor(platform="console", user_id=user, can_manage=True, display_name=user)


async def ask(app: App, text: str) -> View:
    """Parse and answer one line of command text, exactly as a channel would see it (a text that is not a
    command gets core's one usage Problem, as in Slack and Discord)."""
    return await handle_text(text, console_actor(), CONSOLE_DESTINATION, app=app)


def exit_code(view: View) -> int:
    """0 for an answer, 2 for a usage error, 1 for any other problem (scripts can tell them apart)."""
    if isinstance(view, Problem):
        return 2 if view.code == "usage" else 1
    return 0
