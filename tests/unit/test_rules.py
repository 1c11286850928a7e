"""The answer rules adapters ask core for, and the one wording of a usage error."""

from __future__ import annotations

import dataclasses

import pytest

from core import commands as c
from core.commands import COMMAND_WORDS, UsageError, parse_command, usage_problem
from core.model.context import Actor, Destination
from core.model.enums import AccessCause
from core.rules import (
    DIRECT_MESSAGE,
    allowed_in_direct_message,
    answer_visibility,
    answers_at_once,
    defer_first,
    expected_visibility,
    platform_actor,
    posts_later,
    refusal,
)
from core.service import handle, handle_text, read_command
from core.views import HelpView, Notice, Problem, Visibility

CHANNEL = Destination("discord", "G1", "C1")
DM = Destination("discord", DIRECT_MESSAGE, "U1")
READER = Actor("discord", "1", can_manage=False)
MANAGER = Actor("discord", "2", can_manage=True)


@pytest.mark.parametrize("command", [c.Help(), c.LookupResearcher("Ada"), c.LookupPaper("1706.03762"), c.Trending(),
                                     c.PickCandidate("researcher", 1)])
def test_lookups_work_in_a_direct_message(command: c.Command) -> None:
    assert allowed_in_direct_message(command) and refusal(command, READER, DM) is None


@pytest.mark.parametrize("command", [c.ListSubscriptions(), c.Status(), c.ShowSettings(), c.DigestPreview(),
                                     c.PickCandidate("follow", 1), c.SubscribeTopic("diffusion")])
async def test_channel_commands_are_refused_in_a_direct_message_by_the_door_too(command: c.Command) -> None:
    refused = refusal(command, MANAGER, DM)
    assert refused is not None and refused.title == "This works in a server channel"
    # The door gives the same answer, without touching anything (no App is even configured here).
    assert await handle(command, MANAGER, DM) == refused


def test_permission_comes_after_the_place() -> None:
    denied = refusal(c.Pause(), READER, CHANNEL)
    assert denied is not None and denied.code == "permission" and "Manage Channels" in denied.detail
    assert refusal(c.Pause(), MANAGER, CHANNEL) is None


def test_platform_commands_only_from_the_platform() -> None:
    lost = c.AccessLost(AccessCause.REMOVED_FROM_GUILD)
    assert refusal(lost, platform_actor("discord"), Destination("discord", "G1", c.EVERY_CHANNEL)) is None
    assert refusal(lost, MANAGER, CHANNEL) is not None
    # Equal fields are not enough: only `platform_actor` makes the platform's actor.
    lookalike = Actor(**{f.name: getattr(platform_actor("discord"), f.name)
                         for f in dataclasses.fields(Actor)})
    assert refusal(c.AccessRegained(), lookalike, CHANNEL) is not None
    assert refusal(c.ListSubscriptions(), platform_actor("discord"), CHANNEL) is not None


def test_the_grammar_has_no_word_for_platform_commands() -> None:
    for text in ("accesslost", "access lost", "AccessLost uninstalled", "access_regained", "regained", "uninstalled"):
        with pytest.raises(UsageError):
            parse_command(text)
    # Every word of the language, with or without an argument, gives a person's command or a usage error.
    for word in COMMAND_WORDS:
        for text in (word, f"{word} uninstalled", f"{word} now", f"{word} 1"):
            try:
                command = parse_command(text)
            except UsageError:
                continue
            assert not command.from_platform, text


def test_visibility_rules() -> None:
    assert expected_visibility(c.Follow("Ada")) is Visibility.CHANNEL
    assert expected_visibility(c.PickCandidate("follow", 1)) is Visibility.CHANNEL
    assert expected_visibility(c.PickCandidate("researcher", 1)) is Visibility.EPHEMERAL
    assert expected_visibility(c.LookupPaper("x")) is Visibility.EPHEMERAL
    public_problem = Problem("t", "d", visibility=Visibility.CHANNEL)
    assert answer_visibility(c.Follow("Ada"), public_problem) is Visibility.EPHEMERAL  # a failure is the asker's
    assert answer_visibility(c.Pause(), Notice("ok", visibility=Visibility.CHANNEL)) is Visibility.CHANNEL
    assert answer_visibility(c.Status(), Notice("ok")) is Visibility.EPHEMERAL


def test_timing_rules() -> None:
    assert answers_at_once(c.Help()) and not answers_at_once(c.ListSubscriptions())
    assert not answers_at_once(c.LookupPaper("x"))
    assert defer_first(c.LookupPaper("x")) and defer_first(c.DigestNow()) and not defer_first(c.Pause())
    assert posts_later(c.SubscribeTopic("x"), Notice("ok")) and posts_later(c.Resume(), Notice("ok"))
    assert not posts_later(c.SubscribeTopic("x"), Problem("no", "no")) and not posts_later(c.Status(), Notice("ok"))
    # A subscription by example brings digests too, so the bot must be able to post them.
    assert posts_later(c.SubscribeSimilar(("2411.18562",)), Notice("ok"))
    # Anyone may rate (it changes no subscription) and the answer is theirs alone; forgetting ratings is a manager's.
    assert refusal(c.RatePaper("2411.18562", 1, toggle=True), READER, CHANNEL) is None
    assert expected_visibility(c.RatePaper("2411.18562", -1)) is Visibility.EPHEMERAL
    assert refusal(c.ResetFeedback(), READER, CHANNEL) is not None and refusal(c.ShowFeedback(), READER, CHANNEL) is None


async def test_help_is_answered_without_an_app() -> None:
    """What `answers_at_once` promises: help needs neither database nor source (Slack answers it in the ack)."""
    assert isinstance(await handle(c.Help(), READER, CHANNEL), HelpView)


@pytest.mark.parametrize("text", ["frobnicate now", "subscribe topic", "trending someday", "settings colour red",
                                  "digest now please", "researcher pick 99"])
async def test_one_usage_wording_for_every_adapter(text: str) -> None:
    with pytest.raises(UsageError) as raised:
        parse_command(text)
    problem = usage_problem(raised.value)
    assert problem.title == "That doesn't work as given" and problem.code == "usage"
    assert problem.hint and "/radar" in problem.hint
    assert read_command(text) == problem
    # handle_text (the console, `radar ask`) answers a usage error before needing any App.
    assert await handle_text(text, READER, CHANNEL) == problem


def test_usage_hint_shows_the_form_or_points_to_help() -> None:
    assert usage_problem(UsageError("bad", "pause")).hint == "Usage: /radar pause"
    assert usage_problem(UsageError("bad", "help")).hint == usage_problem(UsageError("bad")).hint
    assert "/radar help" in (usage_problem(UsageError("bad")).hint or "")
