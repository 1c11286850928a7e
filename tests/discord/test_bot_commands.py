"""Integration: every /radar subcommand through the real discord role, talking to the loopback Discord fake.

Each test injects INTERACTION_CREATE events on the fake gateway and reads what the unmodified discord.py
client posted back: interaction callbacks (type 4 answers, type 5 defers), edits of the deferred message and
followups, each with its visibility. The fake's fixture checks every message against Discord's limits.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlmodel import select

from core.storage.models import SubscriptionRow
from tests.discord.conftest import Bot, running
from tests.discord.fake_discord import FakeDiscord, Sent
from tests.discord.payloads import CHANNEL, EVERYONE_PERMS, MEMBER, OTHER_CHANNEL, click, slash
from tests.fakes import SourceRouter, read_json
from tests.handlers.test_researchers import PRIEM, namesake_routes, priem_routes

EPHEMERAL = 64


def texts(sent: Sent) -> str:
    """Everything a person reads in a message: content, titles, descriptions, fields, footers."""
    parts = [sent.body.get("content") or ""]
    for card in sent.body.get("embeds") or ():
        parts += [card.get("title") or "", card.get("description") or ""]
        parts += [f"{f['name']}: {f['value']}" for f in card.get("fields") or ()]
        parts.append((card.get("footer") or {}).get("text") or "")
    return "\n".join(p for p in parts if p)


def button_ids(sent: Sent) -> list[str]:
    return [b.get("custom_id", b.get("url")) for row in sent.body.get("components") or () for b in row["components"]]


def as_message(fake: FakeDiscord, sent: Sent) -> dict[str, Any]:
    return fake.message(CHANNEL, sent.body, flags=EPHEMERAL if sent.ephemeral else 0) | {"id": sent.message_id}


async def subscriptions(bot: Bot, channel: str = CHANNEL) -> list[SubscriptionRow]:
    async with bot.app.db.session() as session:
        rows = (await session.exec(select(SubscriptionRow))).all()
    return list(rows)


async def test_help_answers_at_once_for_the_asker_only(fake: FakeDiscord, discord_app: Any) -> None:
    async with running(fake, discord_app()) as bot:
        payload = slash("help", command="subscribe")
        (answer,) = await bot.send(payload)
    assert answer.kind == "callback" and answer.ephemeral
    assert fake.callbacks[payload["token"]][0]["type"] == 4
    assert "/radar subscribe topic <query>" in texts(answer) and '`/radar subscribe category stat.ML`' in texts(answer)
    assert answer.body["allowed_mentions"] == {"parse": []}


async def test_researcher_pick_list_buttons_and_card(fake: FakeDiscord, discord_app: Any, synthetic: Path) -> None:
    app = discord_app(namesake_routes(SourceRouter(), synthetic), openalex_api_key="k")
    async with running(fake, app) as bot:
        payload = slash("researcher", name="Maria  Garcia", user=MEMBER, permissions=EVERYONE_PERMS)
        (picks,) = await bot.send(payload)
        # Deferred at once (the lookup may take longer than Discord's three seconds), then the list.
        assert fake.callbacks[payload["token"]] == [{"type": 5, "data": {"flags": EPHEMERAL}}]
        assert picks.kind == "original" and picks.ephemeral
        assert "Several people match “Maria Garcia”" in texts(picks)
        assert "**2.** Maria Garcia — University of Toronto, 48 works" in texts(picks)
        assert button_ids(picks) == [f"radar:pick:researcher:A510000000{n}" for n in (1, 2, 4)]

        pressed = click("radar:pick:researcher:A5100000002", as_message(fake, picks), user=MEMBER,
                        permissions=EVERYONE_PERMS)
        (card,) = await bot.send(pressed)
        assert card.ephemeral and card.body["embeds"][0]["title"] == "Maria Garcia"
        assert card.body["embeds"][0]["url"] == "https://openalex.org/A5100000002"
        assert "Frequent collaborators: Kenji Tanaka (3), Ana Ruiz (2), Lars Berg (1)" in texts(card)
        assert button_ids(card) == []  # a member cannot follow, so no Follow button

        (managed,) = await bot.send(click("radar:pick:researcher:A5100000002", as_message(fake, picks)))
        assert button_ids(managed) == ["radar:follow:A5100000002"]


async def test_follow_is_announced_in_the_channel(fake: FakeDiscord, discord_app: Any, recordings: Path) -> None:
    app = discord_app(priem_routes(SourceRouter(), recordings), openalex_api_key="k")
    async with running(fake, app) as bot:
        payload = slash("follow", name=PRIEM)
        (notice,) = await bot.send(payload)
        assert fake.callbacks[payload["token"]] == [{"type": 5}]  # "thinking…" for everyone: it will be public
        assert notice.kind == "original" and not notice.ephemeral
        assert "This channel now follows Jason Priem (OurResearch) as #1" in texts(notice)
        assert f"— <@{payload['member']['user']['id']}>" in texts(notice)
        (again,) = await bot.send(slash("follow", name=PRIEM))
        # Already followed: an answer for the asker alone, so the public "thinking…" is removed first.
        assert again.kind == "followup" and again.ephemeral and "already follows Jason Priem as #1" in texts(again)
        assert fake.deleted == [again.where]
        (record,) = await subscriptions(bot)
        assert (record.openalex_id, record.created_by) == (PRIEM, payload["member"]["user"]["id"])


async def test_subscriptions_list_buttons_settings_pause(fake: FakeDiscord, discord_app: Any) -> None:
    async with running(fake, discord_app()) as bot:
        (topic,) = await bot.send(slash("subscribe topic", query='"graph neural networks" -survey'))
        assert topic.kind == "callback" and not topic.ephemeral
        assert 'Subscribed this channel to topic #1: "graph neural networks" -survey' in texts(topic)
        (category,) = await bot.send(slash("subscribe category", category="cs.LG"))
        assert "Subscribed this channel to cs.LG (Machine Learning) as #2" in texts(category)
        (same,) = await bot.send(slash("subscribe category", category="cs.lg"))
        assert same.ephemeral and "already follows cs.LG as #2" in texts(same)

        (listed,) = await bot.send(slash("list"))
        assert listed.ephemeral and "Subscriptions (2/50)" in texts(listed)
        assert "`#1` **topic** · \"graph neural networks\" -survey" in texts(listed)
        assert button_ids(listed) == ["radar:unsub:1", "radar:unsub:2"]
        (removed,) = await bot.send(click("radar:unsub:2", as_message(fake, listed)))
        assert not removed.ephemeral and "Removed #2 (category: cs.LG)" in texts(removed)
        (gone,) = await bot.send(slash("unsubscribe", number=2))
        assert gone.ephemeral and "This channel has no subscription `2`" in texts(gone)
        (removed,) = await bot.send(slash("unsubscribe", number=1))
        assert "Removed #1" in texts(removed)

        (shown,) = await bot.send(slash("settings"))
        assert shown.ephemeral and "Time: 08:00 (UTC)" in texts(shown) and "Days: mon-fri" in texts(shown)
        (changed,) = await bot.send(slash("settings", name="timezone", value="Europe/Paris"))
        assert not changed.ephemeral and "Changed the time zone to Europe/Paris" in texts(changed)
        (bad,) = await bot.send(slash("settings", name="max", value="500"))
        assert bad.ephemeral and "`max` takes a number of papers from 1 to 50" in texts(bad)

        (paused,) = await bot.send(slash("pause"))
        assert not paused.ephemeral and "The daily digest is paused" in texts(paused)
        (status,) = await bot.send(slash("status"))
        assert status.ephemeral and "Paused: paused by a channel manager" in texts(status)
        (resumed,) = await bot.send(slash("resume"))
        assert "The daily digest is back on." in texts(resumed)


async def test_export_then_import_elsewhere(fake: FakeDiscord, discord_app: Any) -> None:
    async with running(fake, discord_app()) as bot:
        await bot.send(slash("subscribe topic", query="diffusion -medical"))
        await bot.send(slash("subscribe category", category="stat.ML"))
        (exported,) = await bot.send(slash("export"))
        description = exported.body["embeds"][0]["description"]
        assert exported.ephemeral and description.startswith("```json\n")
        payload = description.removeprefix("```json\n").removesuffix("\n```")
        assert json.loads(payload)["format"] == "paper-radar/1"

        (report,) = await bot.send(slash("import", json=payload, channel=OTHER_CHANNEL))
        assert "Imported 2 subscriptions" in texts(report)
        # The same file, attached instead of pasted, into a third channel.
        fake.attachments["export.json"] = payload.encode()
        url = f"http://127.0.0.1:{fake.port}/attachments/export.json"
        file = {"id": "42", "filename": "export.json", "size": len(payload), "url": url, "proxy_url": url}
        (again,) = await bot.send(slash("import", file={"attachment": True, "id": "42"},
                                        resolved={"attachments": {"42": file}}, channel="800000000000000013"))
        assert "Imported 2 subscriptions" in texts(again)
    channels = {r.destination_id for r in await subscriptions(bot)}
    assert len(channels) == 3


async def test_paper_and_trending(fake: FakeDiscord, discord_app: Any, recordings: Path, synthetic: Path) -> None:
    arxiv = httpx.Response(200, content=(recordings / "arxiv_api/id_1605.08386_s0_m100_199195aa31ad.xml").read_bytes(),
                           headers={"content-type": "application/atom+xml"})
    router = (SourceRouter().add("arxiv_api", "/api/query", arxiv)
              .add("semantic_scholar", "/graph/v1/paper/", httpx.Response(404, json={"error": "Paper not found"}))
              .add("huggingface", "/api/papers/", read_json(synthetic / "synthetic_hf_paper_page.json"))
              .add("huggingface", "/api/daily_papers",
                   read_json(recordings / "hf_daily_papers/daily_papers_date_2026-08-21.json")))
    app = discord_app(router, now=datetime(2026, 8, 22, 9, 0, tzinfo=UTC))
    async with running(fake, app) as bot:
        (card,) = await bot.send(slash("paper", query="https://arxiv.org/abs/1605.08386"))
        embed = card.body["embeds"][0]
        assert card.ephemeral and embed["title"] == "Heat-bath random walks with Markov bases"
        assert embed["url"] == "https://arxiv.org/abs/1605.08386" and "Caprice Stanley" in embed["description"]
        assert "[Code](https://github.com/example/markov-bases)" in texts(card)

        (trending,) = await bot.send(slash("trending", day="2026-08-21"))
        assert trending.ephemeral and "Trending on Hugging Face — 2026-08-21" in texts(trending)
        assert "▲ 163" in texts(trending) and "[code](https://github.com/google-research/envharness)" in texts(trending)
        (bad,) = await bot.send(slash("trending", day="yesterday"))
        assert bad.kind == "callback" and bad.ephemeral and "`yesterday` is not a date" in texts(bad)


async def test_a_member_without_manage_channels_is_told_why(fake: FakeDiscord, discord_app: Any) -> None:
    async with running(fake, discord_app()) as bot:
        payload = slash("subscribe topic", query="diffusion", user=MEMBER, permissions=EVERYONE_PERMS)
        (denied,) = await bot.send(payload)
        assert denied.kind == "callback" and denied.ephemeral
        assert "You can't change this channel's subscriptions" in texts(denied)
        assert "needs the Manage Channels permission" in texts(denied)
        assert await subscriptions(bot) == []
        # Lookups and lists stay open to everyone; the list shows no Remove buttons to them.
        await bot.send(slash("subscribe topic", query="diffusion"))
        (listed,) = await bot.send(slash("list", user=MEMBER, permissions=EVERYONE_PERMS))
        assert "diffusion" in texts(listed) and button_ids(listed) == []
        # A button does not get around the check either.
        (pressed,) = await bot.send(click("radar:unsub:1", fake.message(CHANNEL, {"components": [
            {"type": 1, "components": [{"type": 2, "style": 2, "label": "Remove #1", "custom_id": "radar:unsub:1"}]}]}),
            user=MEMBER, permissions=EVERYONE_PERMS))
        assert pressed.ephemeral and "You can't change" in texts(pressed)
        assert len(await subscriptions(bot)) == 1
        # A server administrator may, even without the Manage Channels bit itself.
        (allowed,) = await bot.send(slash("subscribe topic", query="graphs", user=MEMBER,
                                          permissions=EVERYONE_PERMS | (1 << 3)))
        assert "Subscribed" in texts(allowed)


async def test_direct_messages_allow_lookups_only(fake: FakeDiscord, discord_app: Any) -> None:
    async with running(fake, discord_app()) as bot:
        (denied,) = await bot.send(slash("subscribe category", category="cs.LG", guild=None, channel="800000000000000099"))
        assert denied.ephemeral and "This works in a server channel" in texts(denied)
        (helped,) = await bot.send(slash("help", guild=None, channel="800000000000000099"))
        assert "Paper Radar" in texts(helped)


async def test_autocomplete(fake: FakeDiscord, discord_app: Any, synthetic: Path) -> None:
    router = SourceRouter().add("openalex", "/autocomplete/authors",
                                read_json(synthetic / "synthetic_openalex_autocomplete_authors.json"))
    async with running(fake, discord_app(router)) as bot:
        categories = await bot.autocomplete(slash("subscribe category", focused="category", category="cs.l"))
        assert categories[0] == {"name": "cs.LG — Machine Learning", "value": "cs.LG"}
        zones = await bot.autocomplete(slash("settings", focused="value", name="timezone", value="paris"))
        assert zones[0]["value"] == "Europe/Paris"
        people = await bot.autocomplete(slash("researcher", focused="name", name="zoe ang"))
        assert [p["value"] for p in people] == ["A5000000001", "A5000000003"]
        assert people[0]["name"].startswith("Zoë Ångström-Nakamura — École Normale Supérieure")
        await bot.autocomplete(slash("follow", focused="name", name="Zoe Ang"))
        assert len(router.calls("openalex", "/autocomplete")) == 1  # the same text again comes from the cache

        await bot.send(slash("subscribe topic", query="diffusion -medical"))
        await bot.send(slash("subscribe category", category="cs.RO"))
        numbers = await bot.autocomplete(slash("unsubscribe", focused="number", number="ro"))
        assert numbers == [{"name": "#2 category: cs.RO", "value": 2}]
        elsewhere = await bot.autocomplete(slash("unsubscribe", focused="number", number="", channel=OTHER_CHANNEL))
        assert elsewhere == []  # only the channel's own subscriptions


async def test_warns_when_the_bot_could_not_post_digests_here(fake: FakeDiscord, discord_app: Any) -> None:
    async with running(fake, discord_app()) as bot:
        view_only = 1 << 10  # View Channel, but neither Send Messages nor Embed Links
        (answer,) = await bot.send(slash("subscribe category", category="cs.LG", app_permissions=view_only))
        assert "Subscribed" in texts(answer)
        assert "I am missing Embed Links, Send Messages in this channel" in texts(answer)
        (fine,) = await bot.send(slash("subscribe category", category="cs.RO"))
        assert "I can't post" not in texts(fine)


async def test_an_outdated_command_gets_a_short_explanation(fake: FakeDiscord, discord_app: Any) -> None:
    async with running(fake, discord_app()) as bot:
        # As if Discord still had an older /radar registered, with a subcommand this version does not have.
        (answer,) = await bot.send(slash("bookmarks"))
    assert answer.ephemeral and "This command changed since it was registered here" in texts(answer)


async def test_the_first_confirmation_asks_for_the_time_zone_discord_does_not_know(fake: FakeDiscord,
                                                                                    discord_app: Any) -> None:
    async with running(fake, discord_app()) as bot:
        (first,) = await bot.send(slash("subscribe category", category="cs.LG"))
        assert not first.ephemeral and "Digests arrive at 08:00 UTC, Monday to Friday." in texts(first)
        assert ("Set your time zone with `settings timezone Europe/Berlin` or `settings timezone PST`, and the hour "
                "with `settings time HH:MM`.") in texts(first)
        (changed,) = await bot.send(slash("settings", name="timezone", value="UTC+2"))
        assert "Changed the time zone to UTC+02:00" in texts(changed) and "Time: 08:00 (UTC+02:00)" in texts(changed)
        assert "UTC+2 is taken as a fixed offset, UTC+02:00 all year" in texts(changed)
        assert "Etc/GMT" not in texts(changed)  # tzdata's inverted sign is never shown
        (second,) = await bot.send(slash("subscribe category", category="cs.RO"))
        assert "New matches arrive in the next digest" in texts(second) and "UTC+02:00)" in texts(second)
