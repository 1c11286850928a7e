"""The command grammar: the same text means the same Command everywhere, and nothing crashes it."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.commands import (
    COMMAND_WORDS,
    ChangeSetting,
    Command,
    DigestMore,
    DigestNow,
    DigestPreview,
    Follow,
    Help,
    Import,
    ListSubscriptions,
    LookupPaper,
    LookupResearcher,
    PickCandidate,
    ShowSettings,
    SubscribeCategory,
    SubscribeTopic,
    Trending,
    Unsubscribe,
    UsageError,
    parse_command,
)


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("", Help()),
        ("/radar", Help()),
        ("help subscribe", Help("subscribe")),
        ("/radar researcher Yoshua Bengio", LookupResearcher("Yoshua Bengio")),
        ("researcher pick 2", PickCandidate("researcher", 2)),
        ("follow pick 1", PickCandidate("follow", 1)),
        ("paper https://arxiv.org/abs/1706.03762v5", LookupPaper("https://arxiv.org/abs/1706.03762v5")),
        ("trending", Trending()),
        ("trending 2026-08-21", Trending(date(2026, 8, 21))),
        ('subscribe topic "graph neural networks" -survey', SubscribeTopic('"graph neural networks" -survey')),
        ("SUBSCRIBE Category cs.LG", SubscribeCategory("cs.LG")),
        ("follow   Geoffrey    Hinton", Follow("Geoffrey Hinton")),
        ("list", ListSubscriptions()),
        ("unsubscribe 3", Unsubscribe("3")),
        ("settings", ShowSettings()),
        ("settings tz Europe/Paris", ChangeSetting("timezone", "Europe/Paris")),
        ("settings time 08:30", ChangeSetting("time", "08:30")),
        ("digest now", DigestNow()),
        ("digest", DigestPreview()),
        ("digest more", DigestMore()),
        ('import {"version": 1,\n "subscriptions": []}', Import('{"version": 1,\n "subscriptions": []}')),
        ('/radar import {"a": 1}', Import('{"a": 1}')),
    ],
)
def test_grammar(text: str, command: Command) -> None:
    assert parse_command(text) == command


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("researcher", "needs a name"),
        ("subscribe diffusion", "subscribe topic <query>"),
        ("subscribe category cs.LG stat.ML", "one category at a time"),
        ("settings colour blue", "There is no setting `colour`"),
        ("settings time", "needs a value"),
        ("trending yesterday", "is not a date"),
        ("researcher pick two", "the number shown"),
        ("list everything", "takes no arguments"),
        ("digest later", "now, preview or more"),
        ("x" * 20000, "too long"),
        ("import", "needs the JSON"),
    ],
)
def test_usage_errors_explain(text: str, message: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_command(text)
    assert message in info.value.message


def test_control_and_bidi_characters_are_dropped() -> None:
    assert parse_command("researcher \u202eAda\x00 Lovelace\x1b[31m") == LookupResearcher("Ada Lovelace[31m")


@settings(max_examples=400)
@given(st.text(max_size=300))
def test_any_text_is_a_command_or_a_usage_error(text: str) -> None:
    try:
        result = parse_command(text)
    except UsageError as error:
        assert error.message
        return
    assert isinstance(result, Command)


@settings(max_examples=300)
@given(st.sampled_from(COMMAND_WORDS), st.lists(st.text(min_size=1, max_size=30), max_size=5))
def test_known_words_with_any_arguments(word: str, args: list[str]) -> None:
    try:
        result = parse_command(" ".join([word, *args]))
    except UsageError as error:
        assert error.message
        return
    assert isinstance(result, Command)
