"""Hostile input through the Slack entry point: thousands of generated commands as signed slash-command bodies.

The commands are test_hostile_input's (control characters, text up to ~100 KB, markup and mention injection,
SQL-looking text, emoji, right-to-left text, ...). Each goes in as Slack sends it, `&`, `<` and `>` as entities,
signed with the signing secret, through the real web role: Starlette's routes, bolt's request verification and
dispatch, our listeners, core. Acks come back on the HTTP response; everything else is posted to `response_url`
on the loopback fake Slack, which also answers `users.info` (an admin, a plain member) for permission checks.
Data sources answer at once, finding nothing.

Each command must get a well-formed answer within the deadline (the ack's, or the ones posted to response_url),
nothing may escape or be logged as an error, every message must pass the Block Kit checks and ping nobody but
the person who asked (whom visible answers name on purpose), and the database must hold only valid rows.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.e2e.test_hostile_input import (
    COMMANDS,
    DEADLINE_S,
    ErrorLog,
    Tally,
    assert_database_valid,
    error_log,  # noqa: F401  (a fixture this module's test uses)
    hostile_settings,
    logged,
    quiet_sources,
)
from tests.fakes import make_app
from tests.slack.blockcheck import check_message
from tests.slack.conftest import (
    ADMIN,
    CHANNEL,
    MANAGER,
    MEMBER,
    Harness,
    serve_workspace,
    slack_settings,
    start_harness,
)

# The whole web stack per example (signing, bolt, users.info and the response_url posts over loopback HTTP, a
# database check after each write) takes about 18 ms on SQLite and on PostgreSQL: 2000 examples in ~40 s.
SLACK_EXAMPLES = 2000

# Who types: an admin (users.info says so), a manager by SLACK_MANAGERS, and a member, whom every change is
# refused. Mostly in a channel; sometimes in a direct message, which is a channel of its own to Slack.
ACTORS = st.sampled_from([ADMIN, ADMIN, MANAGER, MEMBER])
CHANNELS = st.sampled_from([CHANNEL, CHANNEL, CHANNEL, "D0000001"])
ACKED = "(acked)"  # counted once per command, with the time the ack took
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_NUMBER = re.compile(r"\d+")


def as_slack_sends(text: str) -> str:
    """What Slack can deliver of `text`: its payloads are UTF-8, where a lone surrogate cannot exist."""
    return _SURROGATE.sub("\ufffd", text)


def title_of(message: dict[str, Any]) -> str:
    """What kind of answer a message is: a problem's title, a header, or how the fallback text starts (numbers
    and what follows a colon left out, so that "Subscribed this channel to topic #3: ..." counts as one kind)."""
    first = (message.get("blocks") or [{}])[0]
    text = (first.get("text") or {}).get("text") or ""
    if first.get("type") == "section" and text.startswith(":warning: *"):
        return "Problem: " + text.removeprefix(":warning: *").split("*", 1)[0]
    if first.get("type") != "header":
        text = str(message.get("text") or "")
    return _NUMBER.sub("n", text.split(":", 1)[0])[:40]


async def _answers_to(harness: Harness, key: str) -> list[dict[str, Any]]:
    """Every message posted to the command's response_url, once its answer task has finished."""
    await harness.fake.wait_for_answers(1, key, within=DEADLINE_S * 5, settle=0)
    give_up = time.monotonic() + DEADLINE_S * 5
    while harness.slack.listeners.waiting:  # a long answer is several posts: wait for the last one
        assert time.monotonic() < give_up, "the answer task did not finish"
        await asyncio.sleep(0.002)
    return harness.fake.answers(key)


async def _ask_slack(harness: Harness, text: str, user: str, channel: str, tally: Tally) -> None:
    asked = f"{user} in {channel}: {text[:300]!r}"
    started = time.perf_counter()
    ack, key = await harness.command(as_slack_sends(text), user=user, channel=channel)
    acked = time.perf_counter() - started
    assert ack.status_code == 200, (ack.status_code, ack.text[:300], asked)
    messages = [ack.json()] if ack.content else await _answers_to(harness, key)
    elapsed = time.perf_counter() - started
    assert messages, f"no answer to {asked}"
    tally.add(ACKED, acked, asked)
    for message in messages:
        try:
            check_message(message, may_mention=(user,))
        except AssertionError as error:
            raise AssertionError(f"{error} -- for {asked}") from None
        assert message["response_type"] in ("ephemeral", "in_channel"), asked
        assert message["unfurl_links"] is False and message["unfurl_media"] is False, asked
        whole = json.dumps(message, ensure_ascii=False)
        assert "Something went wrong on our side" not in whole, f"unexpected error for {asked}"
        tally.add(title_of(message), elapsed, asked)
    if any(m["response_type"] == "in_channel" for m in messages):  # the channel sees who did it, on purpose
        assert f"<@{user}>" in json.dumps(messages[-1]["blocks"]), asked
    if not all(title_of(m).startswith("Problem: ") for m in messages):
        await assert_database_valid(harness.app)  # it may have written: a bad row points at its command


def test_slack_answers_every_hostile_slash_command(database_url: str, error_log: ErrorLog) -> None:  # noqa: F811
    tally = Tally()
    with serve_workspace() as fake, asyncio.Runner() as runner:
        # The texts go up to ~100 KB of characters, over a MB form-encoded: past the web role's body limit, whose
        # own test is tests/e2e/test_hostile_web.py. Here the subject is the text, so the limit is lifted.
        app = make_app(database_url, quiet_sources(), **slack_settings(fake, OPENALEX_API_KEY="test-key-not-secret",
                                                                       RADAR_WEB_MAX_BODY=str(16 * 1024 * 1024)))
        harness = start_harness(app, fake)

        @hostile_settings(SLACK_EXAMPLES)
        @given(COMMANDS, ACTORS, CHANNELS)
        def answer(text: str, user: str, channel: str) -> None:
            runner.run(_ask_slack(harness, text, user, channel, tally))

        try:
            answer()
            destinations, subscriptions = runner.run(assert_database_valid(app))
        finally:
            runner.run(harness.aclose())
            runner.run(app.aclose())
    assert tally.slow == [], f"answers slower than {DEADLINE_S}s"
    assert error_log.records == [], logged(error_log)
    assert tally.views[ACKED] >= SLACK_EXAMPLES // 2
    assert destinations >= 1 and subscriptions >= 1
    # Usage errors, permission denials, real writes and the list they make all came up.
    titles = set(tally.views)
    assert {"Problem: That doesn't work as given",
            "Problem: You can't change this channel's subscriptions"} <= titles, tally.views
    assert any(t.startswith(("Subscribed this channel", "Changed ", "Removed #")) for t in titles), tally.views
    assert any(t.startswith("Subscriptions (") for t in titles), tally.views
