"""Options chosen in a form (Discord) and typed text are one language: the same Commands, the same messages."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import commands as c
from core.commands import UsageError, parse_command, unusable_import_file
from core.help import USAGE
from core.options import FORM_COMMANDS, build_command

# (form command, options, what a person would type for the same): the same mistake, the same message.
SAME_MISTAKE: list[tuple[str, dict[str, str | None], str]] = [
    ("trending", {"day": "yesterday"}, "trending yesterday"),
    ("trending", {"day": "2026-02-30"}, "trending 2026-02-30"),
    ("researcher", {"name": "   "}, "researcher"),
    ("follow", {"name": None}, "follow"),
    ("paper", {"query": "\u200b"}, "paper \u200b"),
    ("subscribe topic", {"query": ""}, "subscribe topic"),
    ("subscribe category", {"category": None}, "subscribe category"),
    ("subscribe category", {"category": "cs.LG  stat.ML"}, "subscribe category cs.LG stat.ML"),
    ("unsubscribe", {"number": ""}, "unsubscribe"),
    ("unfollow", {"who": " \t "}, "unfollow"),
    ("settings", {"name": "time", "value": None}, "settings time"),
    ("settings", {"name": "timezone", "value": "  "}, "settings timezone"),
    ("settings", {"name": "colour", "value": "blue"}, "settings colour blue"),
    ("import", {"json": "  "}, "import"),
    ("like", {"paper": " "}, "like"),
    ("dislike", {"paper": None}, "dislike"),
    ("unrate", {}, "unrate"),
    ("similar", {"paper": ""}, "similar"),
    ("subscribe similar", {"papers": " "}, "subscribe similar"),
    ("subscribe similar", {"papers": " ".join(f"2411.1{n:04d}" for n in range(11))},
     "subscribe similar " + " ".join(f"2411.1{n:04d}" for n in range(11))),
]


@pytest.mark.parametrize(("name", "options", "typed"), SAME_MISTAKE, ids=[t for _, _, t in SAME_MISTAKE])
def test_the_same_mistake_reads_the_same_either_way(name: str, options: dict[str, str | None], typed: str) -> None:
    with pytest.raises(UsageError) as chosen:
        build_command(name, options)
    with pytest.raises(UsageError) as written:
        parse_command(typed)
    assert (chosen.value.message, chosen.value.usage) == (written.value.message, written.value.usage)


# (form command, options, what a person would type): the same Command.
SAME_COMMAND: list[tuple[str, dict[str, str | None], str]] = [
    ("trending", {"day": " Today "}, "trending today"),
    ("trending", {"day": "2026-08-21"}, "trending 2026-08-21"),
    ("settings", {"name": "tz", "value": "Europe/Paris"}, "settings tz Europe/Paris"),
    ("settings", {"name": "QUIET", "value": "on"}, "settings quiet on"),
    ("settings", {}, "settings"),
    ("subscribe topic", {"query": 'diffusion\n"score  matching"'}, 'subscribe topic diffusion "score matching"'),
    ("help", {"command": "/Subscribe"}, "help /Subscribe"),
    ("help", {"command": None}, "help"),
    ("digest preview", {}, "digest preview"),
    ("import", {"json": ' {"a": 1}\n'}, 'import {"a": 1}'),
    ("like", {"paper": " arXiv:2411.18562 "}, "like arXiv:2411.18562"),
    ("dislike", {"paper": "https://arxiv.org/abs/2411.17773"}, "dislike https://arxiv.org/abs/2411.17773"),
    ("unrate", {"paper": "2411.18562"}, "unrate 2411.18562"),
    ("feedback", {}, "feedback"),
    ("feedback", {"reset": "True"}, "feedback reset"),
    ("feedback", {"reset": "False"}, "feedback"),
    ("similar", {"paper": "2411.18562"}, "similar 2411.18562"),
    ("subscribe similar", {"papers": "2411.18562\n10.1038/nphys1170"}, "subscribe similar 2411.18562 10.1038/nphys1170"),
]


@pytest.mark.parametrize(("name", "options", "typed"), SAME_COMMAND, ids=[t for _, _, t in SAME_COMMAND])
def test_the_same_request_is_the_same_command(name: str, options: dict[str, str | None], typed: str) -> None:
    assert build_command(name, options) == parse_command(typed)


def test_options_are_never_reparsed_as_commands() -> None:
    assert build_command("researcher", {"name": "pick 2"}) == c.LookupResearcher("pick 2")
    assert build_command("follow", {"name": "pick 1"}) == c.Follow("pick 1")
    assert build_command("unfollow", {"who": "list"}) == c.Unfollow("list")
    assert build_command("trending", {"day": "2026-08-21"}) == c.Trending(date(2026, 8, 21))


def test_what_only_a_form_can_get_wrong() -> None:
    with pytest.raises(UsageError, match="Choose which setting") as info:
        build_command("settings", {"value": "08:30"})
    assert info.value.usage == USAGE["settings"]
    with pytest.raises(UsageError, match="I don't know the command `bookmarks`"):
        build_command("bookmarks", {})
    with pytest.raises(UsageError, match="too long"):
        build_command("paper", {"query": "x" * 5000})
    assert build_command("import", {"json": "x" * 5000}) == c.Import("x" * 5000)  # exports may be long
    assert "too large for an export (300,000 bytes)" in unusable_import_file(300_000).message
    assert "paste the JSON into the `json` option" in unusable_import_file().message


def test_every_form_command_is_a_command_word() -> None:
    assert {name.split()[0] for name in FORM_COMMANDS} <= set(c.COMMAND_WORDS)


@settings(max_examples=300)
@given(st.sampled_from(FORM_COMMANDS),
       st.dictionaries(st.sampled_from(["name", "value", "query", "day", "category", "number", "who", "command",
                                        "json", "paper", "papers", "reset"]), st.none() | st.text(max_size=60),
                       max_size=3))
def test_any_options_give_a_command_or_a_usage_error(name: str, options: dict[str, str | None]) -> None:
    try:
        result = build_command(name, options)
    except UsageError as error:
        assert error.message
        return
    assert isinstance(result, c.Command)
