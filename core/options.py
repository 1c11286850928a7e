"""Options chosen in a form (Discord's slash command options) become the Commands typed text becomes.

The second door into the command language, beside the text grammar in core/commands.py, and built on the
same per-argument checks, so that a bad date or a missing value reads the same whichever way it came in.
Adapters reach it as `core.commands.build_command`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from core.commands import (
    MAX_COMMAND_LENGTH,
    Command,
    DigestMore,
    DigestNow,
    DigestPreview,
    Export,
    ListSubscriptions,
    Pause,
    ResetFeedback,
    Resume,
    ShowFeedback,
    ShowSettings,
    Status,
    UsageError,
    clean_text,
    follow_citations_command,
    follow_command,
    follow_institution_command,
    help_command,
    iam_command,
    import_command,
    institution_command,
    paper_command,
    rate_command,
    researcher_command,
    setting_command,
    similar_command,
    subscribe_category_command,
    subscribe_similar_command,
    subscribe_topic_command,
    subscribe_trending_command,
    trending_command,
    unfollow_command,
    unsubscribe_command,
)
from core.help import USAGE

Option = Callable[[str], str]  # an option's cleaned text by name; "" when it was not given


def _settings(option: Option) -> Command:
    name, value = option("name"), option("value")
    if not name:
        if not value:
            return ShowSettings()
        # Only a form can give a value without a setting: typed text reads its first word as the setting.
        raise UsageError("Choose which setting to change in the `name` option.", USAGE["settings"])
    return setting_command(name, value)


def _yes(option: Option, key: str) -> bool:
    """A yes/no option (Discord sends booleans as text here)."""
    return option(key).lower() in ("true", "yes", "1", "on")


# Each command of a form by its path ("subscribe topic"), reading its options by name.
BUILDERS: dict[str, Callable[[Option], Command]] = {
    "help": lambda option: help_command(option("command")),
    "researcher": lambda option: researcher_command(option("name")),
    "institution": lambda option: institution_command(option("name")),
    "follow": lambda option: follow_command(option("name")),
    "iam": lambda option: iam_command(option("name")),
    "follow institution": lambda option: follow_institution_command(option("name")),
    "paper": lambda option: paper_command(option("query")),
    "trending": lambda option: trending_command(option("day")),
    "subscribe topic": lambda option: subscribe_topic_command(option("query")),
    "subscribe category": lambda option: subscribe_category_command(option("category")),
    "subscribe trending": lambda option: subscribe_trending_command(option("top")),
    "follow citations": lambda option: follow_citations_command(option("target")),
    # Several example papers in one option, separated by spaces as typed text separates them.
    "subscribe similar": lambda option: subscribe_similar_command(option("papers").split()),
    "list": lambda option: ListSubscriptions(),
    "unsubscribe": lambda option: unsubscribe_command(option("number")),
    "unfollow": lambda option: unfollow_command(option("who")),
    "settings": _settings,
    "pause": lambda option: Pause(),
    "resume": lambda option: Resume(),
    # A form that offers `anyway` (a yes/no option) sends a paused channel's digest, as `digest now --anyway` does.
    "digest now": lambda option: DigestNow(anyway=_yes(option, "anyway")),
    "digest preview": lambda option: DigestPreview(),
    "digest more": lambda option: DigestMore(),
    "like": lambda option: rate_command(1, option("paper")),
    "dislike": lambda option: rate_command(-1, option("paper")),
    "unrate": lambda option: rate_command(0, option("paper")),
    # `reset` (yes/no) forgets the ratings, as `feedback reset` does.
    "feedback": lambda option: ResetFeedback() if _yes(option, "reset") else ShowFeedback(),
    "similar": lambda option: similar_command(option("paper")),
    "export": lambda option: Export(),
    "status": lambda option: Status(),
}
FORM_COMMANDS = (*BUILDERS, "import")


def build_command(name: str, options: Mapping[str, str | None]) -> Command:
    """The Command for `name` and its options; raises `UsageError` with the grammar's own messages.

    Option text is cleaned as typed words are, but never re-parsed as a command: a researcher called
    "pick 2" stays a name. Only `import` keeps its JSON as given (trimmed), as a typed import keeps its lines.
    """

    def option(key: str) -> str:
        value = options.get(key) or ""
        if len(value) > MAX_COMMAND_LENGTH:
            raise UsageError(f"That is too long for a command (at most {MAX_COMMAND_LENGTH} characters).")
        # As the grammar does: arguments split on any whitespace and joined with one space, so a pasted
        # line break or tab is not stored.
        return " ".join(clean_text(value).split())

    path = " ".join(name.lower().split())
    if path == "import":
        return import_command(options.get("json") or "")
    builder = BUILDERS.get(path)
    if builder is None:
        raise UsageError(f"I don't know the command `{name[:40]}`.", "help")
    return builder(option)
