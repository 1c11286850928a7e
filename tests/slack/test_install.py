"""Installing through OAuth, tokens sealed at rest, and losing access: uninstall and revoked tokens pause."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

import pytest
from sqlalchemy import text
from sqlmodel import select

from bots.slack.app import build_slack, slack_mode
from bots.slack.oauth import SEALED, TokenCipher, TokenKeyError
from core.model.enums import AccessCause
from core.storage.models import DestinationRow, SubscriptionRow
from core.subscriptions.access import access_lost_reason
from tests.slack.conftest import ADMIN, CHANNEL, Harness, HarnessFactory, add_papers, command_body, text_of
from tests.slack.fake_slack import TEAM, serve_socket

OTHER_TEAM = "T0000002"
UNINSTALLED = access_lost_reason(AccessCause.UNINSTALLED)
INSTALLED_TOKEN = "xoxb-2-installed-workspace-token"
SECRET_KEY = "a-long-random-secret-key-for-tests-only"
OAUTH = {"SLACK_CLIENT_ID": "1111.2222", "SLACK_CLIENT_SECRET": "client-secret-for-tests",
         "RADAR_SECRET_KEY": SECRET_KEY}


def grant(team: str, token: str) -> dict[str, Any]:
    return {"ok": True, "app_id": "A0000001", "authed_user": {"id": ADMIN}, "scope": "commands,chat:write",
            "token_type": "bot", "access_token": token, "bot_user_id": "UBOT0002",
            "team": {"id": team, "name": "Other"}, "enterprise": None, "is_enterprise_install": False}


async def install(harness: Harness, code: str, team: str = OTHER_TEAM, token: str = INSTALLED_TOKEN) -> None:
    harness.fake.oauth_grants[code] = grant(team, token)
    harness.fake.token_teams[token] = team
    page = await harness.http.get("/slack/install")
    assert page.status_code == 200
    authorize_url = re.search(r'href="(https://slack.com/oauth/v2/authorize\?[^"]+)"', page.text)
    assert authorize_url and "scope=commands,chat:write,chat:write.public,users:read,team:read,channels:history,groups:history,files:write,channels:join" in authorize_url.group(1)
    state = re.search(r"state=([^&\"]+)", authorize_url.group(1))
    assert state is not None
    cookie = page.headers["set-cookie"].split(";", 1)[0]
    done = await harness.http.get(f"/slack/oauth_redirect?code={code}&state={state.group(1)}",
                                  headers={"cookie": cookie})
    assert done.status_code == 200, done.text


async def destinations(harness: Harness) -> dict[tuple[str, str], DestinationRow]:
    async with harness.app.db.session() as session:
        rows = (await session.exec(select(DestinationRow))).all()
    return {(r.workspace_id, r.channel_id): r for r in rows}


async def eventually(harness: Harness, done: Callable[[dict[tuple[str, str], DestinationRow]], bool],
                     within: float = 5.0) -> dict[tuple[str, str], DestinationRow]:
    """Events are acked before their listener runs: wait for its effect."""
    deadline = time.monotonic() + within
    while not done(found := await destinations(harness)):
        assert time.monotonic() < deadline, found
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.05)  # and for the rest of the listener (the installation is deleted after the pause)
    return found


async def test_oauth_install_round_trip_stores_a_sealed_token(make_harness: HarnessFactory) -> None:
    harness = await make_harness(**OAUTH)
    assert harness.slack.mode == "oauth"
    await install(harness, "code-1")
    (exchange,) = harness.fake.called("oauth.v2.access")
    assert exchange.params["code"] == "code-1"
    store = harness.slack.installation_store
    assert store is not None and await store.bot_token(OTHER_TEAM) == INSTALLED_TOKEN
    async with harness.app.db.engine.connect() as conn:
        stored = [row[0] for row in await conn.execute(text("SELECT bot_token FROM slack_bots"))]
    assert stored and all(t.startswith(SEALED) and INSTALLED_TOKEN not in t for t in stored)

    # The new workspace can use /radar (bolt authorizes with the stored token) ...
    ack, _ = await harness.command("help", team=OTHER_TEAM)
    assert ack.status_code == 200 and "Paper Radar" in text_of(ack.json())
    # ... and its digests are posted with its own token.
    await add_papers(harness.app, 2)
    await harness.ask("subscribe category cs.LG", team=OTHER_TEAM)
    (sent,) = await harness.ask("digest now", team=OTHER_TEAM)
    assert "Sent the digest: 2" in text_of(sent)
    (post,) = [c for c in harness.fake.called("chat.postMessage")]
    assert post.token == INSTALLED_TOKEN
    # A workspace that never installed is told so, and nothing runs.
    stranger, key = await harness.command("subscribe category cs.LG", team="T0000009")
    assert stranger.status_code == 200
    (told,) = await harness.fake.wait_for_answers(1, key)
    assert "not installed in this workspace" in told["text"]


async def test_install_with_a_forged_state_fails(make_harness: HarnessFactory) -> None:
    harness = await make_harness(**OAUTH)
    harness.fake.oauth_grants["code-2"] = grant(OTHER_TEAM, INSTALLED_TOKEN)
    refused = await harness.http.get("/slack/oauth_redirect?code=code-2&state=forged",
                                     headers={"cookie": "slack-app-oauth-state=forged"})
    assert refused.status_code >= 400 and harness.fake.called("oauth.v2.access") == []
    store = harness.slack.installation_store
    assert store is not None and await store.bot_token(OTHER_TEAM) is None


async def test_uninstall_pauses_the_workspace_and_reinstall_resumes_it(make_harness: HarnessFactory) -> None:
    harness = await make_harness(**OAUTH)
    await install(harness, "code-1")
    for channel in ("C1", "C2", "C3"):
        await harness.ask("subscribe category cs.LG", team=OTHER_TEAM, channel=channel)
    await harness.ask("pause", team=OTHER_TEAM, channel="C3")  # a manager's own pause
    await install(harness, "code-2", team=TEAM, token="xoxb-1-first-workspace-token")
    await harness.ask("subscribe category cs.RO", team=TEAM, channel=CHANNEL)

    answer = await harness.event({"type": "app_uninstalled", "event_ts": "1700000000.1"}, team=OTHER_TEAM)
    assert answer.status_code == 200  # acked at once; the pause follows
    found = await eventually(harness, lambda rows: rows[(OTHER_TEAM, "C1")].paused)
    assert found[(OTHER_TEAM, "C1")].paused and found[(OTHER_TEAM, "C1")].paused_reason == UNINSTALLED
    assert found[(OTHER_TEAM, "C2")].paused and found[(OTHER_TEAM, "C3")].paused_reason == "paused by a channel manager"
    assert not found[(TEAM, CHANNEL)].paused  # other workspaces are untouched
    async with harness.app.db.session() as session:
        assert len((await session.exec(select(SubscriptionRow))).all()) == 4  # subscriptions are kept
    store = harness.slack.installation_store
    assert store is not None and await store.bot_token(OTHER_TEAM) is None

    await install(harness, "code-3")
    found = await destinations(harness)
    assert not found[(OTHER_TEAM, "C1")].paused and not found[(OTHER_TEAM, "C2")].paused
    assert found[(OTHER_TEAM, "C3")].paused  # still paused: a person decided that


async def test_revoked_bot_token_pauses_in_single_workspace_mode(harness: Harness) -> None:
    await harness.ask("subscribe category cs.LG")
    users_only = {"type": "tokens_revoked", "tokens": {"oauth": [ADMIN], "bot": []}}
    assert (await harness.event(users_only)).status_code == 200
    assert not (await destinations(harness))[(TEAM, CHANNEL)].paused
    await asyncio.sleep(0.2)
    assert not (await destinations(harness))[(TEAM, CHANNEL)].paused
    bot = {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["UBOT0001"]}}
    assert (await harness.event(bot)).status_code == 200
    record = (await eventually(harness, lambda rows: rows[(TEAM, CHANNEL)].paused))[(TEAM, CHANNEL)]
    assert record.paused and "token was revoked" in (record.paused_reason or "")
    assert (await harness.event({"type": "app_uninstalled"})).status_code == 200  # already paused: no change
    await asyncio.sleep(0.2)
    assert "token was revoked" in ((await destinations(harness))[(TEAM, CHANNEL)].paused_reason or "")


async def test_a_revoked_token_found_while_posting_pauses_the_workspace(harness: Harness) -> None:
    await add_papers(harness.app, 2)
    await harness.ask("subscribe category cs.LG")
    harness.fake.revoked_tokens.add("xoxb-test-bot-token")
    (answer,) = await harness.ask("digest now")
    assert "token_revoked" in text_of(answer)
    record = (await destinations(harness))[(TEAM, CHANNEL)]
    assert record.paused and (record.paused_reason or "").startswith("Slack workspace access lost")


def test_token_cipher_seals_opens_and_refuses_a_wrong_key() -> None:
    cipher = TokenCipher(SECRET_KEY)
    sealed = cipher.seal("xoxb-1-2-abc")
    assert sealed and sealed.startswith(SEALED) and "xoxb" not in sealed and len(sealed) < 200
    assert cipher.seal("xoxb-1-2-abc") != sealed  # a fresh nonce each time
    assert cipher.open(sealed) == "xoxb-1-2-abc" and cipher.open(cipher.seal(sealed)) == "xoxb-1-2-abc"
    assert cipher.open("xoxb-stored-before-a-key") == "xoxb-stored-before-a-key" and cipher.open(None) is None
    with pytest.raises(TokenKeyError):
        TokenCipher("another-long-secret-key-entirely").open(sealed)
    with pytest.raises(ValueError):
        TokenCipher("short")


def test_modes_follow_the_settings(app_factory: Any) -> None:
    assert slack_mode(app_factory().settings) is None
    assert build_slack(app_factory()) is None
    assert slack_mode(app_factory(SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s").settings) == "single"
    assert slack_mode(app_factory(SLACK_BOT_TOKEN="xoxb-1").settings) is None  # HTTP without signing: never
    socket_only = build_slack(app_factory(SLACK_BOT_TOKEN="xoxb-1", SLACK_APP_TOKEN="xapp-1"))
    assert socket_only is not None and socket_only.mode == "socket" and socket_only.routes == []
    oauth = build_slack(app_factory(SLACK_SIGNING_SECRET="s", **OAUTH))
    assert oauth is not None and [r.path for r in oauth.routes] == [  # type: ignore[attr-defined]
        "/slack/events", "/slack/install", "/slack/oauth_redirect"]


def test_manifest_matches_the_app() -> None:
    from pathlib import Path

    import yaml

    from bots.slack.app import BOT_SCOPES, EVENTS_PATH, REDIRECT_PATH

    manifest = yaml.safe_load((Path(__file__).parents[2] / "bots/slack/manifest.yml").read_text())
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == "/radar" and command["url"].endswith(EVENTS_PATH)
    assert tuple(manifest["oauth_config"]["scopes"]["bot"]) == BOT_SCOPES
    assert manifest["oauth_config"]["redirect_urls"][0].endswith(REDIRECT_PATH)
    settings = manifest["settings"]
    assert settings["interactivity"]["is_enabled"] and settings["interactivity"]["request_url"].endswith(EVENTS_PATH)
    assert settings["event_subscriptions"]["request_url"].endswith(EVENTS_PATH)
    assert set(settings["event_subscriptions"]["bot_events"]) == {"app_uninstalled", "tokens_revoked"}


async def test_socket_mode_answers_a_command_without_a_public_url(make_harness: HarnessFactory) -> None:
    harness = await make_harness(SLACK_APP_TOKEN="xapp-1-test", SLACK_SIGNING_SECRET="")
    assert harness.slack.mode == "socket" and harness.slack.routes == []
    stop = asyncio.Event()
    with serve_socket(harness.fake):
        running = asyncio.create_task(harness.slack.run_socket_mode(stop))
        key, url = harness._response_url()
        payload = dict(parse_qsl(command_body("list", user=ADMIN, channel=CHANNEL, team=TEAM, response_url=url)))
        harness.fake.socket_outbox.append({"envelope_id": "env-1", "type": "slash_commands", "payload": payload,
                                           "accepts_response_payload": True})
        try:
            (answer,) = await harness.fake.wait_for_answers(1, key)
            assert "no subscriptions yet" in text_of(answer)
            assert any(m.get("envelope_id") == "env-1" for m in harness.fake.socket_inbox)  # the ack, on the socket
            assert harness.fake.called("apps.connections.open")[0].token == "xapp-1-test"
        finally:
            stop.set()
            await asyncio.wait_for(running, timeout=10)


async def test_start_up_log_has_no_misleading_token_warning(make_harness: HarnessFactory, monkeypatch,  # type: ignore[no-untyped-def]
                                                             caplog) -> None:
    """With SLACK_BOT_TOKEN in the environment (the usual set-up) bolt would log that our client "wins" over
    the token: true and harmless, so it must not be in the log an operator reads."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-from-the-environment")
    caplog.set_level("DEBUG")
    harness = await make_harness()
    (answer,) = await harness.ask("list")
    assert "This channel has no subscriptions yet" in text_of(answer)
    assert not [r for r in caplog.records if "will be unused" in r.getMessage()]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith("radar.slack")]


async def test_a_reinstall_resumes_what_posting_found_revoked_but_not_a_channel_gone(harness: Harness) -> None:
    """The sink's pauses are typed too: a revoked token is the workspace's access (a reinstall lifts it), a
    deleted channel is the channel's own (only a person can), whatever either reason says."""
    from bots.slack.workspace import access_regained

    gone_channel = "C0000002"
    await add_papers(harness.app, 2)
    await harness.ask("subscribe category cs.LG")
    await harness.ask("subscribe category cs.LG", channel=gone_channel)
    harness.fake.scripted[gone_channel] = ["channel_not_found"]
    (gone,) = await harness.ask("digest now", channel=gone_channel)
    assert "channel_not_found" in text_of(gone)
    harness.fake.revoked_tokens.add("xoxb-test-bot-token")
    (revoked,) = await harness.ask("digest now")
    assert "token_revoked" in text_of(revoked)
    found = await destinations(harness)
    assert found[(TEAM, CHANNEL)].paused and found[(TEAM, gone_channel)].paused

    harness.fake.revoked_tokens.clear()
    await access_regained(harness.app, TEAM)
    found = await destinations(harness)
    assert not found[(TEAM, CHANNEL)].paused and found[(TEAM, CHANNEL)].paused_reason is None
    assert found[(TEAM, gone_channel)].paused and "channel_not_found" in (found[(TEAM, gone_channel)].paused_reason or "")


async def test_an_oauth_install_logged_at_debug_shows_no_token(make_harness: HarnessFactory, caplog,  # type: ignore[no-untyped-def]
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """slack_sdk logs the whole oauth.v2.access answer at DEBUG, and the token of a workspace installed through
    OAuth is in no setting: it is redacted by its shape, in every record and in what the service prints."""
    from core.logsetup import configure_logging

    harness = await make_harness(**OAUTH)
    refresh = "xoxe-1-My0xLTEyMzQ1Njc4OTAxMi0xMjM0NTY3ODkwMTIzLWFiY2RlZg"
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        configure_logging(harness.app.settings.model_copy(update={"log_level": "DEBUG"}))
        caplog.set_level(logging.DEBUG)
        root.addHandler(caplog.handler)
        harness.fake.oauth_grants["code-debug"] = {**grant(OTHER_TEAM, INSTALLED_TOKEN), "refresh_token": refresh}
        harness.fake.token_teams[INSTALLED_TOKEN] = OTHER_TEAM
        page = await harness.http.get("/slack/install")
        state = re.search(r"state=([^&\"]+)", page.text)
        assert state is not None
        done = await harness.http.get(f"/slack/oauth_redirect?code=code-debug&state={state.group(1)}",
                                      headers={"cookie": page.headers["set-cookie"].split(";", 1)[0]})
        assert done.status_code == 200, done.text
        ack, _ = await harness.command("help", team=OTHER_TEAM)
        assert ack.status_code == 200
    finally:
        root.handlers[:], _ = saved[0], root.setLevel(saved[1])
    printed = capsys.readouterr().err
    logged = "\n".join(r.getMessage() + str(r.exc_text or "") for r in caplog.records)
    assert "oauth.v2.access" in logged and "oauth.v2.access" in printed  # the exchange was logged ...
    for output in (logged, printed):
        assert INSTALLED_TOKEN not in output and refresh not in output and "client-secret-for-tests" not in output
    assert "xoxb-[redacted]" in logged and "xoxe-[redacted]" in printed  # ... with its tokens redacted
    store = harness.slack.installation_store
    assert store is not None and await store.bot_token(OTHER_TEAM) == INSTALLED_TOKEN  # only the log lost it


async def test_the_install_page_keeps_the_oauth_state_table_bounded(make_harness: HarnessFactory) -> None:
    """Each visit to the install page issues a state; 5,000 visits (a crawler, a flood) keep the table bounded
    (expired states go, and past the limit the oldest), and an install started last still works."""
    harness = await make_harness(**OAUTH)
    page = await harness.http.get("/slack/install")
    assert page.status_code == 200
    async with harness.app.db.engine.begin() as conn:  # an install abandoned long ago
        await conn.execute(text("UPDATE slack_oauth_states SET expire_at = '2001-01-01 00:00:00'"))
    for _ in range(5000):
        assert (await harness.http.get("/slack/install")).status_code == 200
    async with harness.app.db.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT count(*) FROM slack_oauth_states"))).scalar()
        expired = (await conn.execute(text(
            "SELECT count(*) FROM slack_oauth_states WHERE expire_at < '2002-01-01 00:00:00'"))).scalar()
    assert rows is not None and rows <= 1_020, rows  # 1,000 live states, plus those issued since the last purge
    assert expired == 0
    await install(harness, "code-after-the-flood")
    store = harness.slack.installation_store
    assert store is not None and await store.bot_token(OTHER_TEAM) == INSTALLED_TOKEN
