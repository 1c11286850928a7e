"""👍/👎 in Discord, through the real discord role and the loopback gateway, on the real 2024-11-28 feed: any
member may click, the answer is ephemeral (the channel sees nothing), the next digest is ordered by it, the
buttons still work after the bot restarts, a second click takes the rating back, and `/radar feedback` reads
and resets what was learned."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.digest.ingest import ingest
from tests.digest.conftest import THURSDAY, learning_router
from tests.discord.conftest import Bot, running
from tests.discord.fake_discord import FakeDiscord, Sent
from tests.discord.payloads import CHANNEL, EVERYONE_PERMS, MEMBER, click, slash
from tests.discord.test_bot_commands import EPHEMERAL, as_message, button_ids, texts

AS_MEMBER: dict[str, Any] = {"user": MEMBER, "permissions": EVERYONE_PERMS}


async def _on_the_feed(bot: Bot) -> None:
    await bot.send(slash("subscribe category", category="cs.LG"))
    await bot.send(slash("settings", name="max", value="5"))
    assert (await ingest(bot.app, researchers=False)).stored == 1504


def _rate_ids(sent: Sent, sign: str = "+") -> list[str]:
    return [i for i in button_ids(sent) if i.startswith(f"radar:rate:{sign}:")]


async def _press(bot: Bot, fake: FakeDiscord, custom_id: str, on: Sent, **who: Any) -> Sent:
    """Press a button as a member would; the one answer, which must be for them alone."""
    payload = click(custom_id, as_message(fake, on), **who)
    (answer,) = await bot.send(payload)
    assert fake.callbacks[payload["token"]] == [{"type": 5, "data": {"flags": EPHEMERAL}}]  # deferred, privately
    assert answer.ephemeral
    return answer


async def test_a_member_s_click_orders_the_next_digest_and_works_after_a_restart(fake: FakeDiscord,
                                                                               discord_app: Any,
                                                                               recordings: Path) -> None:
    app = discord_app(learning_router(recordings), now=THURSDAY)
    async with running(fake, app) as bot:
        await _on_the_feed(bot)
        (preview,) = await bot.send(slash("digest preview", **AS_MEMBER))
        assert preview.ephemeral
        likes = _rate_ids(preview)
        assert len(likes) == 5 and len(_rate_ids(preview, "-")) == 5
        labels = [b["label"] for row in preview.body["components"] for b in row["components"]]
        assert labels[:4] == ["👍 1", "👎 1", "👍 2", "👎 2"]
        fourth = likes[3].removeprefix("radar:rate:+:")

        answer = await _press(bot, fake, likes[3], preview, **AS_MEMBER)
        assert "👍 You like “" in texts(answer) and "(1 👍 · 0 👎 in this channel)" in texts(answer)
        assert fake.in_channel(CHANNEL) == []

        await bot.send(slash("digest now"), within=30)
        (posted,) = fake.in_channel(CHANNEL)
        first_paper = posted.body["embeds"][1]
        assert first_paper["url"].endswith(fourth.removeprefix("arXiv:")) and "liked here" not in first_paper["description"]
        assert _rate_ids(posted)[0] == f"radar:rate:+:{fourth}"

    # The bot restarts; the buttons of the digest it posted before still answer.
    async with running(fake, app) as bot:
        undone = await _press(bot, fake, f"radar:rate:+:{fourth}", posted, **AS_MEMBER)
        assert "Took back your rating of “" in texts(undone) and "(0 👍 · 0 👎 in this channel)" in texts(undone)
        disliked = await _press(bot, fake, _rate_ids(posted, "-")[1], posted, **AS_MEMBER)
        assert "👎 You dislike" in texts(disliked)
        assert len(fake.in_channel(CHANNEL)) == 1  # no click ever posted in the channel


async def test_feedback_for_everyone_reset_for_managers_and_similar(fake: FakeDiscord, discord_app: Any,
                                                                   recordings: Path) -> None:
    app = discord_app(learning_router(recordings), now=THURSDAY)
    async with running(fake, app) as bot:
        await _on_the_feed(bot)
        (liked,) = await bot.send(slash("like", paper="https://arxiv.org/abs/2411.18286", **AS_MEMBER))
        assert liked.ephemeral and "👍 You like “DualCast" in texts(liked)
        (disliked,) = await bot.send(slash("dislike", paper="2411.17766"))
        assert "👎 You dislike" in texts(disliked)

        (shown,) = await bot.send(slash("feedback", **AS_MEMBER))
        assert shown.ephemeral and "2 ratings by 2 people: 1 paper liked, 1 disliked." in texts(shown)
        assert "Terms that weigh for a paper 👍" in texts(shown) and "DualCast" in texts(shown)
        assert "feedback reset:True" not in texts(shown)  # a member could not use it

        (refused,) = await bot.send(slash("feedback", reset=True, **AS_MEMBER))
        assert refused.ephemeral and "You can't change this channel" in texts(refused)
        (reset,) = await bot.send(slash("feedback", reset=True))
        assert not reset.ephemeral and "Forgot this channel's 2 ratings" in texts(reset)
        (empty,) = await bot.send(slash("feedback", **AS_MEMBER))
        assert "No ratings in this channel yet" in texts(empty)

        (similar,) = await bot.send(slash("similar", paper="2411.18286", **AS_MEMBER))
        text = texts(similar)
        assert similar.ephemeral and "Papers like “DualCast" in text and "similarity 0." in text
        assert text.index("Closest papers that arrived this week") < text.index(
            "Recommended by Semantic Scholar") < text.index("Report shows slight improvement")
