"""Unit layer: raw interaction payloads through the real command tree, options translated into core Commands.

As in discord.py's own tests/test_app_commands_invoke.py, an `Interaction` is built from the payload and the
tree is called directly; a recording responder stands in for the part that would answer over HTTP.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import discord
import pytest

from bots.discord.client import intents
from bots.discord.tree import MAX_IMPORT_BYTES, RadarTree, build_tree
from core import commands as c
from core.commands import UsageError, parse_command, unusable_import_file
from tests.discord.fake_discord import FakeDiscord
from tests.discord.payloads import attachment, slash


class RecordingResponder:
    """Takes what the tree hands over instead of answering it."""

    def __init__(self) -> None:
        self.app: Any = None
        self.received: list[c.Command | UsageError] = []

    async def run(self, interaction: discord.Interaction[Any], command: c.Command | UsageError) -> None:
        self.received.append(command)


class Harness:
    def __init__(self) -> None:
        self.client = discord.Client(intents=intents())
        # As after logging in: the interaction needs to know who the bot is.
        me: Any = FakeDiscord().bot_user()
        self.client._connection.user = discord.ClientUser(state=self.client._connection, data=me)
        self.responder = RecordingResponder()
        self.tree: RadarTree = build_tree(self.client, self.responder)  # type: ignore[arg-type]
        self.errors: list[Exception] = []

        async def on_error(interaction: discord.Interaction[Any], error: Exception) -> None:
            self.errors.append(error)

        self.tree.on_error = on_error  # type: ignore[method-assign]

    async def call(self, path: str, **options: Any) -> c.Command | UsageError:
        interaction = discord.Interaction(data=slash(path, **options), state=self.client._connection)  # type: ignore[arg-type]
        await self.tree._call(interaction)
        assert not self.errors, self.errors
        assert len(self.responder.received) == 1
        return self.responder.received.pop()


@pytest.fixture
def harness() -> Harness:
    return Harness()


# (subcommand path, options) -> the Command, and the text a Slack or console user would type for the same.
CASES: list[tuple[str, dict[str, Any], c.Command, str | None]] = [
    ("researcher", {"name": "Yoshua  Bengio"}, c.LookupResearcher("Yoshua Bengio"), "researcher Yoshua Bengio"),
    ("researcher", {"name": "A5023888391"}, c.LookupResearcher("A5023888391"), "researcher A5023888391"),
    ("institution", {"name": "University of  Florida"}, c.LookupInstitution("University of Florida"),
     "institution University of Florida"),
    ("institution", {"name": "02y3ad647"}, c.LookupInstitution("02y3ad647"), "institution 02y3ad647"),
    ("paper", {"query": "1706.03762"}, c.LookupPaper("1706.03762"), "paper 1706.03762"),
    ("trending", {}, c.Trending(), "trending"),
    ("trending", {"day": "today"}, c.Trending(), "trending today"),
    ("trending", {"day": "2026-08-21"}, c.Trending(date(2026, 8, 21)), "trending 2026-08-21"),
    ("subscribe topic", {"query": '"graph neural networks" -survey'},
     c.SubscribeTopic('"graph neural networks" -survey'), 'subscribe topic "graph neural networks" -survey'),
    ("subscribe category", {"category": "cs.LG"}, c.SubscribeCategory("cs.LG"), "subscribe category cs.LG"),
    ("subscribe trending", {"top": 8}, c.SubscribeTrending(8), "subscribe trending top 8"),
    ("follow-citations", {"target": "W2741809807"}, c.FollowCitations("W2741809807"), "follow citations W2741809807"),
    ("follow-citations", {"target": "A5023888391"}, c.FollowCitations("A5023888391"), "follow citations A5023888391"),
    ("follow", {"name": "Geoffrey Hinton"}, c.Follow("Geoffrey Hinton"), "follow Geoffrey Hinton"),
    ("follow", {"name": "Lab"}, c.FollowLab(), "follow lab"),
    ("iam", {"name": "0000-0002-1825-0097"}, c.IAm("0000-0002-1825-0097"), "iam 0000-0002-1825-0097"),
    ("iam", {}, c.IAm(), "iam"),
    ("iam", {"name": "nobody"}, c.IAm(forget=True), "iam nobody"),
    ("follow-institution", {"name": "I33213144"}, c.FollowInstitution("I33213144"), "follow institution I33213144"),
    ("list", {}, c.ListSubscriptions(), "list"),
    ("unsubscribe", {"number": 3}, c.Unsubscribe("3"), "unsubscribe 3"),
    ("unfollow", {"who": "Hinton"}, c.Unfollow("Hinton"), "unfollow Hinton"),
    ("unfollow", {"who": "lab"}, c.UnfollowLab(), "unfollow lab"),
    ("settings", {}, c.ShowSettings(), "settings"),
    ("settings", {"name": "time", "value": "08:30"}, c.ChangeSetting("time", "08:30"), "settings time 08:30"),
    ("settings", {"name": "timezone", "value": "Europe/Paris"}, c.ChangeSetting("timezone", "Europe/Paris"),
     "settings timezone Europe/Paris"),
    ("settings", {"name": "quiet-notice", "value": "on"}, c.ChangeSetting("quiet-notice", "on"),
     "settings quiet-notice on"),
    ("settings", {"name": "summary", "value": "off"}, c.ChangeSetting("summary", "off"), "settings summary off"),
    ("pause", {}, c.Pause(), "pause"),
    ("resume", {}, c.Resume(), "resume"),
    ("digest now", {}, c.DigestNow(), "digest now"),
    ("digest now", {"anyway": True}, c.DigestNow(anyway=True), "digest now --anyway"),
    ("digest preview", {}, c.DigestPreview(), "digest preview"),
    ("digest more", {}, c.DigestMore(), "digest more"),
    ("export", {}, c.Export(), "export"),
    ("import", {"json": '{"format": "paper-radar/1", "subscriptions": []}'},
     c.Import('{"format": "paper-radar/1", "subscriptions": []}'), 'import {"format": "paper-radar/1", "subscriptions": []}'),
    ("subscribe similar", {"papers": "2411.18562  10.1038/nphys1170"},
     c.SubscribeSimilar(("2411.18562", "10.1038/nphys1170")), "subscribe similar 2411.18562 10.1038/nphys1170"),
    ("like", {"paper": "2411.18562"}, c.RatePaper("2411.18562", 1), "like 2411.18562"),
    ("dislike", {"paper": "https://arxiv.org/abs/2411.17773"}, c.RatePaper("https://arxiv.org/abs/2411.17773", -1),
     "dislike https://arxiv.org/abs/2411.17773"),
    ("unrate", {"paper": "2411.18562"}, c.RatePaper("2411.18562", 0), "unrate 2411.18562"),
    ("feedback", {}, c.ShowFeedback(), "feedback"),
    ("feedback", {"reset": True}, c.ResetFeedback(), "feedback reset"),
    ("similar", {"paper": "2411.18562"}, c.FindSimilar("2411.18562"), "similar 2411.18562"),
    ("status", {}, c.Status(), "status"),
    ("help", {}, c.Help(), "help"),
    ("help", {"command": "subscribe"}, c.Help("subscribe"), "help subscribe"),
]


@pytest.mark.parametrize(("path", "options", "expected", "typed"), CASES, ids=[f"{p} {o}" for p, o, _, _ in CASES])
async def test_options_become_the_command_text_would(harness: Harness, path: str, options: dict[str, Any],
                                                     expected: c.Command, typed: str | None) -> None:
    command = await harness.call(path, **options)
    assert command == expected
    if typed is not None:
        assert parse_command(typed) == command  # one command language, whichever way it is entered


def test_every_subcommand_is_covered() -> None:
    harness = Harness()
    leaves = {cmd.qualified_name.removeprefix("radar ") for cmd in harness.tree.walk_commands()
              if isinstance(cmd, discord.app_commands.Command)}
    assert leaves == {path for path, _, _, _ in CASES}


async def test_option_text_is_never_reparsed_as_a_command(harness: Harness) -> None:
    # Typed as text, "researcher pick 2" picks from a list; chosen as an option it is a name.
    assert await harness.call("researcher", name="pick 2") == c.LookupResearcher("pick 2")
    assert await harness.call("follow", name="pick 1") == c.Follow("pick 1")
    # Control and bidi characters are dropped exactly as the text grammar drops them.
    assert await harness.call("subscribe topic", query="diffusion\u202e -medical\x00") == c.SubscribeTopic(
        "diffusion -medical")


@pytest.mark.parametrize(("path", "options", "says", "typed"), [
    ("researcher", {"name": "   "}, "needs a name", "researcher"),
    ("trending", {"day": "yesterday"}, "is not a date", "trending yesterday"),
    ("subscribe category", {"category": "cs.LG stat.ML"}, "one category at a time", "subscribe category cs.LG stat.ML"),
    ("subscribe topic", {"query": "\u200b"}, "needs a topic query", "subscribe topic \u200b"),
    ("settings", {"name": "time"}, "needs a value", "settings time"),
    ("settings", {"value": "08:30"}, "Choose which setting", None),
    ("import", {}, "needs the JSON", "import"),
    ("like", {"paper": " \u200b "}, "needs a paper", "like"),
])
async def test_bad_options_become_usage_errors(harness: Harness, path: str, options: dict[str, Any], says: str,
                                               typed: str | None) -> None:
    result = await harness.call(path, **options)
    assert isinstance(result, UsageError) and says in result.message
    if typed is not None:  # worded once, in core: typed text gets the very same message
        with pytest.raises(UsageError) as written:
            parse_command(typed)
        assert (result.message, result.usage) == (written.value.message, written.value.usage)


async def test_import_reads_an_attached_export(harness: Harness) -> None:
    payload = '{"format": "paper-radar/1", "subscriptions": []}'

    async def read(self: discord.Attachment, **_: Any) -> bytes:
        return payload.encode()

    file = attachment("555", "paper-radar-export.json", "http://127.0.0.1:9/attachments/x.json", len(payload))
    resolved = {"attachments": {"555": file}}
    original = discord.Attachment.read
    discord.Attachment.read = read  # type: ignore[method-assign]
    try:
        interaction = discord.Interaction(
            data=slash("import", file={"attachment": True, "id": "555"}, resolved=resolved),  # type: ignore[arg-type]
            state=harness.client._connection)
        await harness.tree._call(interaction)
    finally:
        discord.Attachment.read = original  # type: ignore[method-assign]
    assert harness.responder.received == [c.Import(payload)]


async def test_an_attached_export_too_large_is_explained_by_core(harness: Harness) -> None:
    size = MAX_IMPORT_BYTES + 1
    file = attachment("556", "huge.json", "http://127.0.0.1:9/attachments/huge.json", size)
    interaction = discord.Interaction(
        data=slash("import", file={"attachment": True, "id": "556"}, resolved={"attachments": {"556": file}}),  # type: ignore[arg-type]
        state=harness.client._connection)
    await harness.tree._call(interaction)
    (result,) = harness.responder.received
    assert isinstance(result, UsageError)
    assert (result.message, result.usage) == (unusable_import_file(size).message, unusable_import_file(size).usage)
    assert f"({size:,} bytes)" in result.message


def test_synced_payload_is_within_discords_command_limits() -> None:
    harness = Harness()
    (radar,) = [command.to_dict(harness.tree) for command in harness.tree.get_commands()]
    assert radar["name"] == "radar" and len(radar["options"]) <= 25
    assert radar["contexts"] == [0, 1] and radar["integration_types"] == [0]

    def walk(option: dict[str, Any]) -> None:
        assert 1 <= len(option["description"]) <= 100 and len(option["name"]) <= 32
        assert len(option.get("options", [])) <= 25
        assert len(option.get("choices", [])) <= 25
        for inner in option.get("options", []):
            walk(inner)

    walk(radar)
