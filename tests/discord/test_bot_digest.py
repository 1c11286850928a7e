"""Integration: digests posted to Discord channels, in order, exactly once, through 429s and lost access.

The day is the real arXiv feed of 2024-11-28 (1,504 items), ingested as the clock would; the digest goes
out through the Discord sink on discord.py's HTTP client, into the loopback fake.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from bots.discord.sink import DiscordSink, GlobalPacer
from core.digest.ingest import ingest
from core.model.context import Destination
from core.storage.models import DeliveryRow, DestinationRow
from core.views import DigestItem, DigestReason, DigestView
from tests.digest.conftest import THURSDAY, feed_router
from tests.discord.conftest import Bot, running
from tests.discord.fake_discord import FakeDiscord
from tests.discord.payloads import CHANNEL, GUILD, OTHER_CHANNEL, click, slash
from tests.discord.test_bot_commands import as_message, button_ids, texts


async def _subscribed(bot: Bot, *, max_items: int = 30, channel: str = CHANNEL) -> None:
    await bot.send(slash("subscribe category", category="cs.LG", channel=channel))
    await bot.send(slash("settings", name="max", value=str(max_items), channel=channel))
    report = await ingest(bot.app, researchers=False)
    assert report.stored == 1504


async def _ledger(bot: Bot) -> list[DeliveryRow]:
    async with bot.app.db.session() as session:
        return list((await session.exec(select(DeliveryRow).order_by(col(DeliveryRow.run_id),
                                                                     col(DeliveryRow.position)))).all())


def _papers_in(fake: FakeDiscord, channel: str = CHANNEL) -> list[str]:
    """Paper links in the order the channel shows them: one embed per paper, after the header embed."""
    posted = fake.in_channel(channel)
    return [card["url"] for index, sent in enumerate(posted) for card in sent.body["embeds"][1 if index == 0 else 0 :]]


async def test_digest_now_posts_ordered_labelled_parts_once(fake: FakeDiscord, discord_app: Any,
                                                            recordings: Path) -> None:
    app = discord_app(feed_router(recordings), now=THURSDAY)
    async with running(fake, app) as bot:
        await _subscribed(bot)
        fake.rate_limit_next["/channels/"] = 2  # the first two posts get 429: discord.py waits and retries
        payload = slash("digest now")
        (answer,) = await bot.send(payload, within=30)
        assert fake.callbacks[payload["token"]] == [{"type": 5, "data": {"flags": 64}}]
        assert answer.ephemeral and "Sent the digest: 30 new papers." in texts(answer)

        posted = fake.in_channel(CHANNEL)
        assert fake.throttled == 2 and len(posted) >= 3
        assert [p.body["content"].rsplit("·", 1)[1].strip() for p in posted] == [
            f"part {i} of {len(posted)}" for i in range(1, len(posted) + 1)]
        assert posted[0].body["embeds"][0]["title"] == "Paper Radar digest — Thu 28 Nov 2024"
        assert all(p.body["allowed_mentions"] == {"parse": []} for p in posted)
        # Every paper once, in the ledger's order, each marked with the id of the message that carried it.
        rows = await _ledger(bot)
        links = _papers_in(fake)
        assert len(rows) == 30 == len(links) == len(set(links))
        assert links == [f"https://arxiv.org/abs/{r.paper_id.removeprefix('arXiv:')}" for r in rows]
        ids = {p.message_id for p in posted}
        assert {r.state for r in rows} == {"sent"} and {r.message_id for r in rows} <= ids

        # "Show more" on the last part: the next papers, for the person who pressed it.
        assert button_ids(posted[-1])[-1] == "radar:more"
        more = await bot.send(click("radar:more", as_message(fake, posted[-1]), channel=CHANNEL), within=15)
        assert all(m.ephemeral for m in more) and "More from the latest digest" in texts(more[0])
        assert len(await _ledger(bot)) == 60

        (again,) = await bot.send(slash("digest now"))
        assert "No new papers match" in texts(again) and len(fake.in_channel(CHANNEL)) == len(posted)


async def test_preview_is_for_the_asker_and_sends_nothing(fake: FakeDiscord, discord_app: Any,
                                                          recordings: Path) -> None:
    app = discord_app(feed_router(recordings), now=THURSDAY)
    async with running(fake, app) as bot:
        await _subscribed(bot, max_items=50)
        payload = slash("digest preview")
        await fake.dispatch("INTERACTION_CREATE", payload)
        await fake.wait_for(lambda: any(s.kind == "original" for s in fake.answers(payload["token"])), 30)
        await bot.send(slash("status"))  # answered after the preview's followups: they are all in
        parts = fake.answers(payload["token"])
        assert len(parts) > 1 and all(p.ephemeral for p in parts)
        assert [p.kind for p in parts] == ["original"] + ["followup"] * (len(parts) - 1)
        assert parts[0].body["embeds"][0]["title"].startswith("Preview (only you see this)")
        assert fake.in_channel(CHANNEL) == [] and await _ledger(bot) == []


async def test_lost_access_pauses_the_channel_and_keeps_subscriptions(fake: FakeDiscord, discord_app: Any,
                                                                      recordings: Path) -> None:
    app = discord_app(feed_router(recordings), now=THURSDAY)
    async with running(fake, app) as bot:
        await _subscribed(bot)
        fake.fail_channel[CHANNEL] = (403, 50001, "Missing Access")
        (answer,) = await bot.send(slash("digest now"), within=30)
        assert "Missing Access" in texts(answer)
        (status,) = await bot.send(slash("status"))
        assert "Paused: the bot lost access (Missing Access) [403 50001]" in texts(status)
        (listed,) = await bot.send(slash("list"))
        assert "cs.LG" in texts(listed)
        assert await _ledger(bot) == []  # unsent claims released: nothing lost for when access is back


async def test_leaving_a_server_pauses_its_channels(fake: FakeDiscord, discord_app: Any) -> None:
    async with running(fake, discord_app()) as bot:
        await bot.send(slash("subscribe category", category="cs.LG"))
        await bot.send(slash("subscribe category", category="cs.RO", channel=OTHER_CHANNEL))
        await fake.dispatch("GUILD_DELETE", {"id": GUILD})

        async def paused() -> list[bool]:
            async with bot.app.db.session() as session:
                return [d.paused for d in (await session.exec(select(DestinationRow))).all()]

        for _ in range(200):  # the event is handled on the client's own time
            if await paused() == [True, True]:
                break
            await asyncio.sleep(0.02)
        assert await paused() == [True, True]
        async with bot.app.db.session() as session:
            reasons = {d.paused_reason for d in (await session.exec(select(DestinationRow))).all()}
        assert reasons == {"the bot was removed from this Discord server; add it again and use /radar resume"}


def _view(n: int) -> DigestView:
    items = tuple(DigestItem(paper_id=f"arXiv:2411.{i:05d}", title=f"Paper {i}", url=f"https://arxiv.org/abs/2411.{i:05d}",
                             authors="A. Author", why=(DigestReason("category", "new in cs.LG"),)) for i in range(n))
    return DigestView(day=THURSDAY.date(), title="Paper Radar digest", items=items, total_matched=n, subscriptions=1)


async def test_the_clock_posts_without_a_gateway(fake: FakeDiscord, discord_app: Any) -> None:
    app = discord_app()
    fake.channel_limit = (10, 1.0)  # the real 5 per 5 s would only make this test slow
    sink = DiscordSink(app.settings, pacer=GlobalPacer(limit=50))
    marked: list[tuple[list[str], str]] = []

    async def mark_sent(papers: Any, message_id: str) -> None:
        marked.append((list(papers), message_id))

    try:
        where = Destination("discord", GUILD, CHANNEL)
        await sink.send_digest(where, _view(25), mark_sent)
        assert [m for m in fake.requests if m[1].endswith("/gateway")] == []
        assert ("GET", "/api/v10/users/@me") in fake.requests  # logged in over HTTP only
        posted = fake.in_channel(CHANNEL)
        assert [m[1] for m in marked] == [p.message_id for p in posted]
        assert [p for m in marked for p in m[0]] == [f"arXiv:2411.{i:05d}" for i in range(25)]
        # A resumed run continues with what was not sent, and says so.
        await sink.send_digest(where, _view(2), mark_sent, previous=[p.message_id for p in posted])
        assert "Continuing a digest" in texts(fake.in_channel(CHANNEL)[-1])
        # The same message again (a retry after a lost answer) is dropped by Discord thanks to the nonce.
        before = len(fake.in_channel(CHANNEL))
        await sink.send_digest(where, _view(2), mark_sent, previous=[p.message_id for p in posted])
        assert len(fake.in_channel(CHANNEL)) == before and marked[-1][1] == marked[-2][1]
    finally:
        await sink.aclose()
