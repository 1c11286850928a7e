"""The `Suggest` handler: what a person may mean while typing an option, whichever option it is.

An adapter shows a failed answer here as a broken form ("loading options failed"), so nothing here raises or
returns a Problem: whatever goes wrong is logged and answered with no suggestions.
"""

from __future__ import annotations

import logging

from core.app import App
from core.commands import Suggest
from core.model.context import Actor, Destination
from core.researchers.suggest import institution_suggestions, researcher_suggestions
from core.subscriptions.suggest import (
    category_suggestions,
    setting_value_suggestions,
    subscription_suggestions,
    timezone_suggestions,
)
from core.views import Suggestion, Suggestions

log = logging.getLogger(__name__)

MAX_SUGGESTIONS = 25  # more than anyone reads while typing (and Discord's own cap)
SETTING = "setting:"  # `setting:<name>`: values for that setting


async def suggest(app: App, command: Suggest, actor: Actor, where: Destination) -> Suggestions:
    limit = max(0, min(command.limit, MAX_SUGGESTIONS))
    try:
        items = await _suggestions(app, command.field, command.text, limit, where) if limit else []
    except Exception:
        log.exception("suggestions for %s failed", command.field)
        items = []
    return Suggestions(items=tuple(items[:limit]))


async def _suggestions(app: App, field: str, text: str, limit: int, where: Destination) -> list[Suggestion]:
    if field == "researcher":
        return [Suggestion(label, value) for label, value in await researcher_suggestions(app, text, limit)]
    if field == "institution":
        return [Suggestion(label, value) for label, value in await institution_suggestions(app, text, limit)]
    if field == "category":
        return category_suggestions(text, limit)
    if field == "timezone":
        return timezone_suggestions(text, limit)
    if field.startswith(SETTING):
        return setting_value_suggestions(field.removeprefix(SETTING), text, limit)
    if field == "subscription":
        return await subscription_suggestions(app, where, text, limit)
    if field == "followed":
        return await subscription_suggestions(app, where, text, limit, kind="researcher")
    log.info("no suggestions for an unknown field %r", field[:40])
    return []
