"""The console adapter: the local terminal acts as one channel whose user may manage it."""

from __future__ import annotations

import getpass

from core.bootstrap import App
from core.commands import UsageError, parse_command
from core.model.context import Actor, Destination
from core.service import handle
from core.views import Problem, View

CONSOLE_DESTINATION = Destination(platform="console", workspace_id="local", channel_id="console")


def console_actor() -> Actor:
    try:
        user = getpass.getuser()
    except Exception:  # no login name in some containers
        user = "console"
    return Actor(platform="console", user_id=user, can_manage=True, display_name=user)


def usage_problem(error: UsageError) -> Problem:
    hint = f"Usage: /radar {error.usage}" if error.usage and error.usage != "help" else "Type `help` for the list."
    return Problem("That is not a command I understand", error.message, hint, code="usage")


async def ask(app: App, text: str) -> View:
    """Parse and answer one line of command text, exactly as a channel would see it."""
    try:
        command = parse_command(text)
    except UsageError as error:
        return usage_problem(error)
    return await handle(command, console_actor(), CONSOLE_DESTINATION, app=app)


def exit_code(view: View) -> int:
    """0 for an answer, 2 for a usage error, 1 for any other problem (scripts can tell them apart)."""
    if isinstance(view, Problem):
        return 2 if view.code == "usage" else 1
    return 0
