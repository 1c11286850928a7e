"""Isolation end to end: one workspace or guild can neither read nor change another's subscriptions.

Two Slack workspaces installed through OAuth (the real web role and bolt, signed requests, the loopback
Slack fake) and two Discord guilds (the real discord.py client and command tree on the loopback Discord
fake) use the *same* channel id: only the workspace or guild, and the platform, tell the channels apart.
Workspace or guild A subscribes; everything B can type or click, buttons crafted with A's numbers included,
must show B nothing of A's, and leave every row of A's (channel, subscriptions, ledger, digest runs) as it was.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlmodel import col, select
from starlette.responses import JSONResponse, Response

from bots.discord.limits import check_message_limits
from bots.slack.actions import ACTION_DIGEST_MORE, ACTION_FOLLOW, ACTION_UNSUBSCRIBE
from bots.slack.app import build_slack
from bots.web import create_web_app
from core.bootstrap import App
from core.digest.deliver import run_digest
from core.digest.schedule import active_destinations
from core.storage.models import DeliveryRow, DestinationRow, DigestRunRow, SubscriptionRow
from tests.discord.conftest import Bot, running
from tests.discord.fake_discord import FakeDiscord, Sent
from tests.discord.payloads import click, slash
from tests.slack.conftest import SECRET, Harness, add_papers, buttons, source_router, text_of
from tests.slack.fake_slack import Call, FakeSlack, serve_fake
from tests.slack.test_install import OAUTH, UNINSTALLED, install

CHANNEL = "C0000001"  # the same channel id in both Slack workspaces
TEAM_A, TEAM_B = "T0000001", "T0000002"
TOKEN_A, TOKEN_B = "xoxb-1-workspace-a-token", "xoxb-2-workspace-b-token"
ADMIN_A, ADMIN_B = "UADMINA01", "UADMINB01"
GRID = "UGRID0001"  # one person in both workspaces (as in an Enterprise Grid): admin in A, plain member in B
GUILD_A, GUILD_B = "800000000000000001", "800000000000000002"
SNOWFLAKE_CHANNEL = "800000000000000011"  # the same channel id in both guilds (and in a Slack workspace below)
RESEARCHER = "A5100000002"  # Maria Garcia, in the synthetic OpenAlex answers


# ---------------------------------------------------------------- what is stored for one channel


async def stored(app: App, platform: str, workspace: str, channel: str) -> dict[str, Any]:
    """Every row of one destination: the channel, its subscriptions, its ledger and its digest runs."""
    async with app.db.session() as session:
        record = (await session.exec(select(DestinationRow).where(
            DestinationRow.platform == platform, DestinationRow.workspace_id == workspace,
            DestinationRow.channel_id == channel))).first()
        if record is None:
            return {}
        subs = (await session.exec(select(SubscriptionRow).where(
            SubscriptionRow.destination_id == record.id).order_by(col(SubscriptionRow.number)))).all()
        ledger = (await session.exec(select(DeliveryRow).where(
            DeliveryRow.destination_id == record.id).order_by(col(DeliveryRow.id)))).all()
        runs = (await session.exec(select(DigestRunRow).where(
            DigestRunRow.destination_id == record.id).order_by(col(DigestRunRow.id)))).all()
    return {"destination": record.model_dump(), "subscriptions": [s.model_dump() for s in subs],
            "ledger": [d.model_dump() for d in ledger], "runs": [r.model_dump() for r in runs]}


def kinds(rows: dict[str, Any]) -> list[tuple[int, str, str | None]]:
    return [(s["number"], s["kind"], s["query"] or s["openalex_id"]) for s in rows.get("subscriptions", ())]


def reasons_in(rows: dict[str, Any]) -> set[tuple[str, int]]:
    """(kind, subscription number) of every reason the ledger recorded for this channel's digests."""
    return {(r["kind"], r["subscription"]) for d in rows["ledger"] for r in d["reasons"]}


async def wait_until(check: Callable[[], Any], within: float = 5.0) -> None:
    """Events are acked before their listeners run: wait for their effect."""
    deadline = time.monotonic() + within
    while not await check():
        assert time.monotonic() < deadline, "timed out waiting for an event's effect"
        await asyncio.sleep(0.02)


# ---------------------------------------------------------------- Slack: two workspaces, one channel id


@dataclass
class TeamsSlack(FakeSlack):
    """The Slack fake with users.info answered per workspace (the token's), as Slack answers it."""

    team_users: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def add_member(self, team: str, user_id: str, *, admin: bool = False) -> None:
        self.team_users[(team, user_id)] = {
            "id": user_id, "team_id": team, "name": user_id.lower(), "is_admin": admin, "is_owner": False,
            "is_primary_owner": False, "profile": {"display_name": user_id.lower()}}

    def _answer(self, call: Call) -> Response:
        if call.method == "users.info" and call.token not in self.revoked_tokens:
            user = self.team_users.get((self.token_teams.get(call.token or "", ""), str(call.params.get("user"))))
            return JSONResponse({"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"})
        return super()._answer(call)

    def posted_with(self, token: str) -> list[dict[str, Any]]:
        """Digest messages Slack accepted from the workspace this token belongs to."""
        return [c.params for c in self.called("chat.postMessage") if c.token == token and c.params.get("_accepted")]


ADMINS = {TEAM_A: ADMIN_A, TEAM_B: ADMIN_B, GUILD_A: ADMIN_A}


@pytest.fixture
def teams_fake() -> Iterator[TeamsSlack]:
    fake = TeamsSlack()
    for team, admin in ADMINS.items():
        fake.add_member(team, admin, admin=True)
    fake.add_member(TEAM_A, GRID, admin=True)
    fake.add_member(TEAM_B, GRID)
    with serve_fake(fake) as served:
        yield served


@contextlib.asynccontextmanager
async def slack_role(app_factory: Any, fake: TeamsSlack, teams: dict[str, str]) -> AsyncIterator[Harness]:
    """The web role in OAuth mode, installed in each of `teams` (team id -> bot token)."""
    app = app_factory(source_router(), SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=fake.api_url,
                      RADAR_SLACK_RESPONSE_HOSTS=fake.base_url, OPENALEX_API_KEY="test-key", **OAUTH)
    integration = build_slack(app)
    assert integration is not None and integration.mode == "oauth"
    app.sinks["slack"] = integration.sink
    web = create_web_app(app, routes=integration.routes)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url="http://radar.test")
    harness = Harness(app, integration, fake, http, iter(range(1, 10_000)))
    try:
        for number, (team, token) in enumerate(teams.items(), 1):
            await install(harness, f"code-{number}", team=team, token=token)
        yield harness
    finally:
        await http.aclose()
        await integration.aclose()


@pytest.fixture
async def slack(app_factory: Any, teams_fake: TeamsSlack) -> AsyncIterator[Harness]:
    async with slack_role(app_factory, teams_fake, {TEAM_A: TOKEN_A, TEAM_B: TOKEN_B}) as harness:
        yield harness


async def said(harness: Harness, text: str, *, team: str, user: str | None = None,
               channel: str = CHANNEL) -> str:
    """What a person in `team` reads after typing `/radar <text>` in the channel."""
    messages = await harness.ask(text, team=team, user=user or ADMINS[team], channel=channel)
    return "\n".join(text_of(m) for m in messages)


async def clicked(harness: Harness, action_id: str, value: str, *, team: str, user: str | None = None) -> str:
    messages = await harness.click(action_id, value, team=team, user=user or ADMINS[team], channel=CHANNEL)
    return "\n".join(text_of(m) for m in messages)


def slack_why(messages: list[dict[str, Any]]) -> list[str]:
    """The "why" line of every paper in these Slack messages."""
    return [element["text"].removeprefix(":dart: ") for message in messages for block in message.get("blocks", ())
            if block["type"] == "context" for element in block["elements"]
            if element.get("text", "").startswith(":dart: ")]


def exported_json(text: str) -> dict[str, Any]:
    """The JSON of an `export` answer, as a person would copy it out of the code blocks."""
    chunks = re.findall(r"```(.*?)```", text, flags=re.S)
    payload = "".join(chunks).replace("\\n", "\n").replace('\\"', '"')
    payload = payload.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    data: dict[str, Any] = json.loads(payload)
    return data


async def slack_a_subscribes(harness: Harness) -> None:
    """Workspace A: a topic (#1), a category (#2), a researcher (#3), its own settings, and a digest sent."""
    assert "topic #1" in await said(harness, "subscribe topic diffusion", team=TEAM_A)
    assert "as #2" in await said(harness, "subscribe category cs.LG", team=TEAM_A)
    assert "follows Maria Garcia" in await said(harness, f"follow {RESEARCHER}", team=TEAM_A)
    await said(harness, "settings timezone Asia/Tokyo", team=TEAM_A)
    await said(harness, "settings time 09:30", team=TEAM_A)
    await said(harness, "settings max 2", team=TEAM_A)
    await add_papers(harness.app, 5)
    assert "Sent the digest: 2 new papers" in await said(harness, "digest now", team=TEAM_A)


async def test_slack_workspace_b_cannot_read_or_change_workspace_a(slack: Harness) -> None:
    await slack_a_subscribes(slack)
    listed_a = await said(slack, "list", team=TEAM_A)
    assert "diffusion" in listed_a and "cs.LG" in listed_a and "Maria Garcia" in listed_a
    exported_a = exported_json(await said(slack, "export", team=TEAM_A))
    a_before = await stored(slack.app, "slack", TEAM_A, CHANNEL)
    a_posts = len(slack.fake.posted_with(TOKEN_A))
    assert kinds(a_before) == [(1, "topic", "diffusion"), (2, "category", "cs.LG"), (3, "researcher", RESEARCHER)]

    # B reads: nothing of A's shows, before B's channel even has a row ...
    listed = await said(slack, "list", team=TEAM_B)
    assert "This channel has no subscriptions yet" in listed
    assert not [word for word in ("diffusion", "cs.LG", "Maria Garcia") if word in listed]
    for number in (1, 2, 3):
        assert f"This channel has no subscription `{number}`" in await said(slack, f"unsubscribe {number}", team=TEAM_B)
    for who in ("3", "Maria Garcia", RESEARCHER):
        answer = await said(slack, f"unfollow {who}", team=TEAM_B)
        assert "No such subscription here" in answer and "no longer follows" not in answer
    shown = await said(slack, "settings", team=TEAM_B)
    assert "08:00 (UTC)" in shown and "09:30" not in shown and "Asia/Tokyo" not in shown
    assert "Nothing to send yet" in await said(slack, "digest preview", team=TEAM_B)
    assert "Nothing to send yet" in await said(slack, "digest more", team=TEAM_B)
    status = await said(slack, "status", team=TEAM_B)
    assert "*Subscriptions*\\n0" in status
    exported_b = exported_json(await said(slack, "export", team=TEAM_B))
    assert exported_b["subscriptions"] == [] and exported_b["settings"]["time"] == "08:00"

    # ... and changes only its own channel: settings, pause, digest now, then the same once B's row exists.
    assert "Changed the digest time" in await said(slack, "settings time 06:15", team=TEAM_B)
    assert "The daily digest is paused" in await said(slack, "pause", team=TEAM_B)
    assert "Nothing to send yet" in await said(slack, "digest now", team=TEAM_B)
    assert "No more papers" in await said(slack, "digest more", team=TEAM_B)
    assert "This channel has no subscription `1`" in await said(slack, "unsubscribe 1", team=TEAM_B)
    answer = await said(slack, "unfollow Maria Garcia", team=TEAM_B)
    assert "Not followed here" in answer and "no longer follows" not in answer
    assert await stored(slack.app, "slack", TEAM_A, CHANNEL) == a_before

    # Importing A's export into B copies it into B; A keeps its own rows, numbers and authors.
    report = await said(slack, "import " + json.dumps(exported_a), team=TEAM_B)
    assert "Imported 3 subscriptions" in report
    b_rows = await stored(slack.app, "slack", TEAM_B, CHANNEL)
    assert kinds(b_rows) == kinds(a_before)
    assert {s["created_by"] for s in b_rows["subscriptions"]} == {ADMIN_B}
    assert {s["id"] for s in b_rows["subscriptions"]}.isdisjoint({s["id"] for s in a_before["subscriptions"]})
    # Now that both have a #1 and a Maria Garcia, B removing its own leaves A's alone.
    assert "Removed #1 (topic: diffusion)" in await said(slack, "unsubscribe 1", team=TEAM_B)
    assert "no longer follows Maria Garcia (#3)" in await said(slack, "unfollow Maria Garcia", team=TEAM_B)
    assert kinds(await stored(slack.app, "slack", TEAM_B, CHANNEL)) == [(2, "category", "cs.LG")]

    assert await stored(slack.app, "slack", TEAM_A, CHANNEL) == a_before
    assert len(slack.fake.posted_with(TOKEN_A)) == a_posts
    assert await said(slack, "list", team=TEAM_A) == listed_a
    shown_a = await said(slack, "settings", team=TEAM_A)
    assert "09:30 (Asia/Tokyo)" in shown_a and "paused" not in shown_a.lower()


async def test_slack_buttons_with_a_numbers_clicked_from_b_and_roles_per_workspace(slack: Harness) -> None:
    await slack_a_subscribes(slack)
    # The same person is an admin of A (so their role is cached for A) and a plain member of B.
    assert "as #4" in await said(slack, "subscribe category cs.RO", team=TEAM_A, user=GRID)
    list_message, = await slack.ask("list", team=TEAM_A, user=ADMIN_A, channel=CHANNEL)
    removes = [b["value"] for b in buttons(list_message["blocks"]) if b["action_id"] == ACTION_UNSUBSCRIBE]
    assert removes == ["1", "2", "3", "4"]
    top = slack.fake.posted_with(TOKEN_A)[0]
    (more,) = [b["value"] for b in buttons(top["blocks"]) if b["action_id"] == ACTION_DIGEST_MORE]
    a_before = await stored(slack.app, "slack", TEAM_A, CHANNEL)

    # A's buttons, replayed from B's copy of the same channel id, find nothing of A's to act on.
    for value in removes:
        answer = await clicked(slack, ACTION_UNSUBSCRIBE, value, team=TEAM_B)
        assert f"This channel has no subscription `{value}`" in answer and "Removed" not in answer
    assert "Nothing to send yet" in await clicked(slack, ACTION_DIGEST_MORE, more, team=TEAM_B)
    # Following from B is B's own subscription, numbered in B.
    assert "follows Maria Garcia (University of Toronto) as #1" in await clicked(
        slack, ACTION_FOLLOW, RESEARCHER, team=TEAM_B)
    # Admin of A is no admin of B: refused there, typed or clicked, although the same id manages A.
    for refused in (await said(slack, "unsubscribe 1", team=TEAM_B, user=GRID),
                    await clicked(slack, ACTION_UNSUBSCRIBE, "1", team=TEAM_B, user=GRID),
                    await said(slack, "pause", team=TEAM_B, user=GRID)):
        assert "You can't change this channel's subscriptions" in refused
    # A list of namesakes shown to this person in A is not theirs to pick from in B.
    assert "Several people match" in await said(slack, "researcher Maria Garcia", team=TEAM_A, user=GRID)
    assert "Nothing to pick from" in await said(slack, "researcher pick 2", team=TEAM_B, user=GRID)
    assert "Maria Garcia" in await said(slack, "researcher pick 2", team=TEAM_A, user=GRID)
    b_rows = await stored(slack.app, "slack", TEAM_B, CHANNEL)
    assert kinds(b_rows) == [(1, "researcher", RESEARCHER)] and not b_rows["destination"]["paused"]
    assert await stored(slack.app, "slack", TEAM_A, CHANNEL) == a_before

    # A's own buttons still do what they say, for A.
    assert "Removed #4 (category: cs.RO)" in await clicked(slack, ACTION_UNSUBSCRIBE, "4", team=TEAM_A, user=GRID)
    extra = await clicked(slack, ACTION_DIGEST_MORE, more, team=TEAM_A)
    assert len(re.findall(r"\*\d\. <https://arxiv", extra)) == 2
    assert kinds(await stored(slack.app, "slack", TEAM_A, CHANNEL)) == kinds(a_before)[:3]


async def test_slack_digest_for_b_never_carries_a_reasons(slack: Harness) -> None:
    """Both channels' digests come from one shared matcher over the same papers; B's reasons are B's alone."""
    await slack_a_subscribes(slack)
    await said(slack, "subscribe category cs.LG", team=TEAM_B)
    await said(slack, "settings max 3", team=TEAM_B)
    b_asks = {"team": TEAM_B, "user": ADMIN_B, "channel": CHANNEL}
    assert slack_why(await slack.ask("digest preview", **b_asks)) == ["new in cs.LG"] * 3
    assert "Sent the digest: 3 new papers" in await said(slack, "digest now", team=TEAM_B)
    more = await slack.ask("digest more", **b_asks)
    # Papers past the cap come without a why line today (their reasons are not kept); any they show is B's.
    assert len(re.findall(r"\*\d\. <https://arxiv", json.dumps(more))) == 2
    assert set(slack_why(more)) <= {"new in cs.LG"}
    assert slack_why(slack.fake.posted_with(TOKEN_B)) == ["new in cs.LG"] * 3
    assert slack_why(slack.fake.posted_with(TOKEN_A)) == ['topic #1: matched "diffusion" in title; new in cs.LG'] * 2
    a_rows, b_rows = (await stored(slack.app, "slack", TEAM_A, CHANNEL),
                      await stored(slack.app, "slack", TEAM_B, CHANNEL))
    assert reasons_in(b_rows) == {("category", 1)}
    assert ("topic", 1) in reasons_in(a_rows) and reasons_in(a_rows) <= {("topic", 1), ("category", 2)}
    # Each channel has its own ledger: B got all five papers although A already had two of them.
    assert len(b_rows["ledger"]) == 5 and len(a_rows["ledger"]) == 2
    assert {d["paper_id"] for d in a_rows["ledger"]} < {d["paper_id"] for d in b_rows["ledger"]}


@pytest.mark.parametrize("event", [
    {"type": "app_uninstalled", "event_ts": "1700000000.1"},
    {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["UBOT0002"]}, "event_ts": "1700000000.2"},
], ids=["app_uninstalled", "tokens_revoked"])
async def test_slack_losing_workspace_b_leaves_a_digests_running(slack: Harness, event: dict[str, Any]) -> None:
    for team in (TEAM_A, TEAM_B):
        await said(slack, "subscribe category cs.LG", team=team)
    await add_papers(slack.app, 3)
    assert (await slack.event(event, team=TEAM_B)).status_code == 200

    async def b_paused() -> bool:
        return bool((await stored(slack.app, "slack", TEAM_B, CHANNEL))["destination"]["paused"])

    await wait_until(b_paused)
    await asyncio.sleep(0.05)  # the rest of the listener: the installation is deleted after the pause
    a_rows, b_rows = (await stored(slack.app, "slack", TEAM_A, CHANNEL),
                      await stored(slack.app, "slack", TEAM_B, CHANNEL))
    assert (b_rows["destination"]["paused_reason"] or "").startswith("Slack workspace access lost")
    assert not a_rows["destination"]["paused"] and a_rows["destination"]["paused_reason"] is None
    store = slack.slack.installation_store
    assert store is not None and await store.bot_token(TEAM_A) == TOKEN_A and await store.bot_token(TEAM_B) is None

    # The clock: A is still scheduled, B is not; A's digest goes out with A's token, B's does not go at all.
    active = {d.id for d in await active_destinations(slack.app)}
    a_id, b_id = a_rows["destination"]["id"], b_rows["destination"]["id"]
    assert a_id in active and b_id not in active
    assert (await run_digest(slack.app, b_id)).state == "skipped"
    outcome = await run_digest(slack.app, a_id)
    assert (outcome.state, outcome.sent) == ("done", 3)
    assert len(slack.fake.posted_with(TOKEN_A)) == 1 and slack.fake.posted_with(TOKEN_B) == []
    status = await said(slack, "status", team=TEAM_A)
    assert "Digests are paused" not in status and "access lost" not in status

    # Reinstalling B resumes B only: A, paused meanwhile by its own uninstall, stays paused.
    assert (await slack.event({"type": "app_uninstalled"}, team=TEAM_A)).status_code == 200

    async def a_paused() -> bool:
        return bool((await stored(slack.app, "slack", TEAM_A, CHANNEL))["destination"]["paused"])

    await wait_until(a_paused)
    await asyncio.sleep(0.05)
    await install(slack, "code-again", team=TEAM_B, token=TOKEN_B)
    a_rows, b_rows = (await stored(slack.app, "slack", TEAM_A, CHANNEL),
                      await stored(slack.app, "slack", TEAM_B, CHANNEL))
    assert not b_rows["destination"]["paused"]
    assert a_rows["destination"]["paused"] and a_rows["destination"]["paused_reason"] == UNINSTALLED


# ---------------------------------------------------------------- Discord: two guilds, one channel id

EPHEMERAL = 64


def texts(sent: list[Sent]) -> str:
    """Everything a person reads in these messages: content, titles, descriptions, fields, footers."""
    parts = []
    for message in sent:
        parts.append(message.body.get("content") or "")
        for card in message.body.get("embeds") or ():
            parts += [card.get("title") or "", card.get("description") or ""]
            parts += [f"{f['name']}: {f['value']}" for f in card.get("fields") or ()]
            parts.append((card.get("footer") or {}).get("text") or "")
    return "\n".join(p for p in parts if p)


def custom_ids(sent: Sent) -> list[str]:
    return [b["custom_id"] for row in sent.body.get("components") or () for b in row["components"] if "custom_id" in b]


def papers_in(sent: list[Sent]) -> list[str]:
    """The paper links of these messages' cards, in order."""
    return [card["url"] for message in sent for card in message.body.get("embeds") or ()
            if "arxiv.org/abs/" in card.get("url", "")]


def discord_why(sent: list[Sent]) -> list[str]:
    """The "why" line of every paper card in these messages."""
    return [line.removeprefix("**Why:** ") for message in sent for card in message.body.get("embeds") or ()
            for line in (card.get("description") or "").splitlines() if line.startswith("**Why:** ")]


@pytest.fixture
async def guilds() -> AsyncIterator[FakeDiscord]:
    fake = await FakeDiscord().start()
    fake.channel_limit = (50, 1.0)  # the real 5 per 5 s would only make these tests slow
    for guild in (GUILD_A, GUILD_B):
        fake.add_guild(guild, {SNOWFLAKE_CHANNEL: "papers"})
    try:
        yield fake
    finally:
        await fake.stop()
    for sent in fake.sent:
        assert check_message_limits(sent.body) == [], (sent.kind, sent.body)


def discord_app(app_factory: Any, fake: FakeDiscord) -> App:
    env = {k.lower(): v for k, v in fake.env().items()}
    app: App = app_factory(source_router(), openalex_api_key="test-key", **env)
    return app


async def asked(bot: Bot, path: str, *, guild: str, within: float = 10.0, **options: Any) -> list[Sent]:
    """What the manager reads after `/radar <path>` in the shared channel of `guild`."""
    return await bot.send(slash(path, guild=guild, channel=SNOWFLAKE_CHANNEL, **options), within=within)


async def pressed(bot: Bot, custom_id: str, on: Sent | None, *, guild: str) -> list[Sent]:
    """A click on button `custom_id` of message `on` (or of a message crafted to carry it), from `guild`."""
    if on is None:
        button = {"type": 2, "style": 1, "label": "Follow in this channel", "custom_id": custom_id}
        on = Sent("channel", SNOWFLAKE_CHANNEL, {"components": [{"type": 1, "components": [button]}]},
                  bot.fake.snowflake())
    assert custom_id in custom_ids(on)
    message = bot.fake.message(SNOWFLAKE_CHANNEL, on.body, flags=EPHEMERAL if on.ephemeral else 0)
    return await bot.send(click(custom_id, message | {"id": on.message_id}, guild=guild, channel=SNOWFLAKE_CHANNEL))


def export_of(sent: list[Sent]) -> dict[str, Any]:
    (card,) = sent[0].body["embeds"]
    if card.get("description", "").startswith("```json"):
        data: dict[str, Any] = json.loads(card["description"].removeprefix("```json\n").removesuffix("\n```"))
        return data
    (attached,) = sent[0].files
    data = json.loads(attached[1])
    return data


async def discord_a_subscribes(bot: Bot) -> None:
    assert "topic #1" in texts(await asked(bot, "subscribe topic", guild=GUILD_A, query="diffusion"))
    assert "as #2" in texts(await asked(bot, "subscribe category", guild=GUILD_A, category="cs.LG"))
    assert "as #3" in texts(await asked(bot, "follow", guild=GUILD_A, name=RESEARCHER))
    await asked(bot, "settings", guild=GUILD_A, name="timezone", value="Asia/Tokyo")
    await asked(bot, "settings", guild=GUILD_A, name="time", value="09:30")
    await asked(bot, "settings", guild=GUILD_A, name="max", value="2")
    await add_papers(bot.app, 5)
    assert "Sent the digest: 2 new papers" in texts(await asked(bot, "digest now", guild=GUILD_A))


async def test_discord_guild_b_cannot_read_or_change_guild_a(guilds: FakeDiscord, app_factory: Any) -> None:
    async with running(guilds, discord_app(app_factory, guilds)) as bot:
        await discord_a_subscribes(bot)
        (listed_a,) = await asked(bot, "list", guild=GUILD_A)
        assert custom_ids(listed_a) == ["radar:unsub:1", "radar:unsub:2", "radar:unsub:3"]
        digest_a = guilds.in_channel(SNOWFLAKE_CHANNEL)
        assert custom_ids(digest_a[-1])[-1] == "radar:more"
        exported_a = export_of(await asked(bot, "export", guild=GUILD_A))
        a_before = await stored(bot.app, "discord", GUILD_A, SNOWFLAKE_CHANNEL)
        assert kinds(a_before) == [(1, "topic", "diffusion"), (2, "category", "cs.LG"), (3, "researcher", RESEARCHER)]

        # B reads nothing of A's: typed, autocompleted, or by pressing A's own buttons.
        listed = texts(await asked(bot, "list", guild=GUILD_B))
        assert "No subscriptions yet" in listed
        assert not [word for word in ("diffusion", "cs.LG", "Maria Garcia") if word in listed]
        for focused, options in (("number", {"number": ""}), ("who", {"who": ""})):
            path = "unsubscribe" if focused == "number" else "unfollow"
            choices = await bot.autocomplete(slash(path, focused=focused, guild=GUILD_B, channel=SNOWFLAKE_CHANNEL,
                                                   **options))
            assert choices == []
        for number in (1, 2, 3):
            answer = texts(await asked(bot, "unsubscribe", guild=GUILD_B, number=number))
            assert f"This channel has no subscription `{number}`" in answer
            answer = texts(await pressed(bot, f"radar:unsub:{number}", listed_a, guild=GUILD_B))
            assert f"This channel has no subscription `{number}`" in answer
        for who in ("3", "Maria Garcia", RESEARCHER):
            assert "No such subscription here" in texts(await asked(bot, "unfollow", guild=GUILD_B, who=who))
        shown = texts(await asked(bot, "settings", guild=GUILD_B))
        assert "08:00 (UTC)" in shown and "09:30" not in shown and "Asia/Tokyo" not in shown
        assert "Nothing to send yet" in texts(await asked(bot, "digest preview", guild=GUILD_B))
        assert "Nothing to send yet" in texts(await asked(bot, "digest more", guild=GUILD_B))
        assert "Nothing to send yet" in texts(await pressed(bot, "radar:more", digest_a[-1], guild=GUILD_B))
        exported_b = export_of(await asked(bot, "export", guild=GUILD_B))
        assert exported_b["subscriptions"] == [] and exported_b["settings"]["time"] == "08:00"

        # B changes only B: settings, pause, digest now; then again once B's channel has a row.
        await asked(bot, "settings", guild=GUILD_B, name="time", value="06:15")
        assert "The daily digest is paused" in texts(await asked(bot, "pause", guild=GUILD_B))
        assert "Nothing to send yet" in texts(await asked(bot, "digest now", guild=GUILD_B))
        assert "No more papers" in texts(await pressed(bot, "radar:more", digest_a[-1], guild=GUILD_B))
        assert "no subscription `1`" in texts(await pressed(bot, "radar:unsub:1", listed_a, guild=GUILD_B))
        assert "Not followed here" in texts(await asked(bot, "unfollow", guild=GUILD_B, who="Maria Garcia"))
        assert await stored(bot.app, "discord", GUILD_A, SNOWFLAKE_CHANNEL) == a_before
        assert guilds.in_channel(SNOWFLAKE_CHANNEL) == digest_a  # nothing more was posted for A, or as A

        # A follow button pressed in B follows in B; A's export imported into B is B's copy.
        follow = await pressed(bot, f"radar:follow:{RESEARCHER}", None, guild=GUILD_B)
        assert "This channel now follows Maria Garcia (University of Toronto) as #1" in texts(follow)
        report = texts(await asked(bot, "import", guild=GUILD_B, json=json.dumps(exported_a)))
        assert "Imported 2 subscriptions" in report
        b_rows = await stored(bot.app, "discord", GUILD_B, SNOWFLAKE_CHANNEL)
        assert kinds(b_rows) == [(1, "researcher", RESEARCHER), (2, "topic", "diffusion"), (3, "category", "cs.LG")]
        numbers = await bot.autocomplete(slash("unsubscribe", focused="number", number="", guild=GUILD_B,
                                               channel=SNOWFLAKE_CHANNEL))
        assert [c["value"] for c in numbers] == [1, 2, 3]
        assert "Removed #2 (topic: diffusion)" in texts(await pressed(bot, "radar:unsub:2", listed_a, guild=GUILD_B))
        assert "no longer follows Maria Garcia (#1)" in texts(await asked(bot, "unfollow", guild=GUILD_B, who="1"))
        assert kinds(await stored(bot.app, "discord", GUILD_B, SNOWFLAKE_CHANNEL)) == [(3, "category", "cs.LG")]

        assert await stored(bot.app, "discord", GUILD_A, SNOWFLAKE_CHANNEL) == a_before
        assert texts(await asked(bot, "list", guild=GUILD_A)) == texts([listed_a])
        shown_a = texts(await asked(bot, "settings", guild=GUILD_A))
        assert "09:30 (Asia/Tokyo)" in shown_a
        more = await pressed(bot, "radar:more", digest_a[-1], guild=GUILD_A)
        assert len(papers_in(more)) == 2 and "More from the latest digest" in texts(more)


async def test_discord_digest_for_b_is_b_own_with_b_reasons_only(guilds: FakeDiscord, app_factory: Any) -> None:
    async with running(guilds, discord_app(app_factory, guilds)) as bot:
        await discord_a_subscribes(bot)
        a_posted = list(guilds.in_channel(SNOWFLAKE_CHANNEL))
        assert discord_why(a_posted) == ['topic #1: matched "diffusion" in title; new in cs.LG'] * 2
        # B's first two papers are A's first two, on the same day, in a channel with the same id.
        await asked(bot, "subscribe category", guild=GUILD_B, category="cs.LG")
        await asked(bot, "settings", guild=GUILD_B, name="max", value="2")
        assert discord_why(await asked(bot, "digest preview", guild=GUILD_B)) == ["new in cs.LG"] * 2
        assert "Sent the digest: 2 new papers" in texts(await asked(bot, "digest now", guild=GUILD_B))

        b_posted = guilds.in_channel(SNOWFLAKE_CHANNEL)[len(a_posted):]
        assert papers_in(b_posted) == papers_in(a_posted)
        assert discord_why(b_posted) == ["new in cs.LG"] * 2
        a_rows, b_rows = (await stored(bot.app, "discord", GUILD_A, SNOWFLAKE_CHANNEL),
                          await stored(bot.app, "discord", GUILD_B, SNOWFLAKE_CHANNEL))
        # B's papers went out in B's own messages, not recorded against the messages A received.
        assert {d["message_id"] for d in b_rows["ledger"]} == {p.message_id for p in b_posted}
        assert not {d["message_id"] for d in a_rows["ledger"]} & {d["message_id"] for d in b_rows["ledger"]}
        assert reasons_in(b_rows) == {("category", 1)} and ("topic", 1) in reasons_in(a_rows)

        more = await pressed(bot, "radar:more", b_posted[-1], guild=GUILD_B)
        assert len(papers_in(more)) == 2 and set(discord_why(more)) <= {"new in cs.LG"}
        assert await stored(bot.app, "discord", GUILD_A, SNOWFLAKE_CHANNEL) == a_rows


async def test_discord_leaving_guild_b_leaves_a_digests_running(guilds: FakeDiscord, app_factory: Any) -> None:
    async with running(guilds, discord_app(app_factory, guilds)) as bot:
        for guild in (GUILD_A, GUILD_B):
            await asked(bot, "subscribe category", guild=guild, category="cs.LG")
        await add_papers(bot.app, 3)
        await guilds.dispatch("GUILD_DELETE", {"id": GUILD_B})

        async def b_paused() -> bool:
            return bool((await stored(bot.app, "discord", GUILD_B, SNOWFLAKE_CHANNEL))["destination"]["paused"])

        await wait_until(b_paused)
        a_rows = await stored(bot.app, "discord", GUILD_A, SNOWFLAKE_CHANNEL)
        b_id = (await stored(bot.app, "discord", GUILD_B, SNOWFLAKE_CHANNEL))["destination"]["id"]
        assert not a_rows["destination"]["paused"] and a_rows["destination"]["paused_reason"] is None
        active = {d.id for d in await active_destinations(bot.app)}
        assert a_rows["destination"]["id"] in active and b_id not in active
        assert (await run_digest(bot.app, b_id)).state == "skipped"
        outcome = await run_digest(bot.app, a_rows["destination"]["id"])
        assert (outcome.state, outcome.sent) == ("done", 3)
        assert len(papers_in(guilds.in_channel(SNOWFLAKE_CHANNEL))) == 3


# ---------------------------------------------------------------- Slack and Discord with the same ids


async def test_slack_and_discord_with_the_same_ids_do_not_mix(app_factory: Any, teams_fake: TeamsSlack,
                                                               guilds: FakeDiscord) -> None:
    """A Slack workspace whose id is a Discord guild's id, and the same channel id: the platform keeps them apart."""
    token = "xoxb-3-same-ids-as-a-guild"
    async with (running(guilds, discord_app(app_factory, guilds)) as bot,
                slack_role(app_factory, teams_fake, {GUILD_A: token}) as slack):
        await asked(bot, "subscribe topic", guild=GUILD_A, query="diffusion")
        await asked(bot, "subscribe category", guild=GUILD_A, category="cs.LG")
        discord_before = await stored(bot.app, "discord", GUILD_A, SNOWFLAKE_CHANNEL)

        ask = {"team": GUILD_A, "channel": SNOWFLAKE_CHANNEL}
        assert "This channel has no subscriptions yet" in await said(slack, "list", **ask)
        assert "This channel has no subscription `1`" in await said(slack, "unsubscribe 1", **ask)
        assert "Nothing to send yet" in await said(slack, "digest now", **ask)
        assert exported_json(await said(slack, "export", **ask))["subscriptions"] == []
        assert "as #1" in await said(slack, "subscribe category cs.RO", **ask)
        assert await stored(bot.app, "discord", GUILD_A, SNOWFLAKE_CHANNEL) == discord_before

        listed = texts(await asked(bot, "list", guild=GUILD_A))
        assert "diffusion" in listed and "cs.LG" in listed and "cs.RO" not in listed
        assert "Removed #1 (topic: diffusion)" in texts(await asked(bot, "unsubscribe", guild=GUILD_A, number=1))
        slack_rows = await stored(bot.app, "slack", GUILD_A, SNOWFLAKE_CHANNEL)
        assert kinds(slack_rows) == [(1, "category", "cs.RO")]

        async def paused(platform: str) -> bool:
            return bool((await stored(bot.app, platform, GUILD_A, SNOWFLAKE_CHANNEL))["destination"]["paused"])

        # Losing access on one platform pauses that platform's channel only, both ways.
        assert (await slack.event({"type": "app_uninstalled"}, team=GUILD_A)).status_code == 200
        await wait_until(lambda: paused("slack"))
        await asyncio.sleep(0.05)
        assert not await paused("discord")
        await install(slack, "code-again", team=GUILD_A, token=token)
        assert not await paused("slack")
        await guilds.dispatch("GUILD_DELETE", {"id": GUILD_A})
        await wait_until(lambda: paused("discord"))
        assert not await paused("slack")
        assert kinds(await stored(bot.app, "slack", GUILD_A, SNOWFLAKE_CHANNEL)) == [(1, "category", "cs.RO")]
