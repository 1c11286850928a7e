"""Every `/radar` subcommand and every button, through the real bolt app behind the web role's routes.

Requests are signed like Slack's; answers are read where Slack would show them: in the ack (help and usage
errors, which need only the text), or posted to `response_url` on the loopback fake (everything else). Every message is checked against slack_sdk's block models.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any

from sqlmodel import select

from bots.slack.render import render
from core import views as v
from core.storage.models import DestinationRow, SubscriptionRow
from tests.slack.blockcheck import check_message
from tests.slack.conftest import (
    ADMIN,
    CHANNEL,
    MANAGER,
    MEMBER,
    Harness,
    add_papers,
    buttons,
    source_router,
    text_of,
)
from tests.slack.fake_slack import TEAM


async def subscriptions(harness: Harness, channel: str = CHANNEL) -> list[SubscriptionRow]:
    async with harness.app.db.session() as session:
        rows = await session.exec(select(SubscriptionRow).join(DestinationRow).where(
            DestinationRow.channel_id == channel))
        return list(rows.all())


def ok(message: dict[str, Any], *, visible: bool = False) -> dict[str, Any]:
    check_message(message, may_mention=(ADMIN, MANAGER, MEMBER))
    assert message["response_type"] == ("in_channel" if visible else "ephemeral"), message
    assert message["unfurl_links"] is False
    return message


async def test_help_and_usage_errors_are_answered_in_the_ack(harness: Harness) -> None:
    ack, _ = await harness.command("help")
    help_text = text_of(ok(ack.json()))
    assert "/radar subscribe topic &lt;query&gt;" in help_text and ":lock:" in help_text
    ack, _ = await harness.command("help subscribe")
    assert "*Examples:*" in text_of(ok(ack.json()))
    ack, _ = await harness.command("subscribe topic")
    assert "needs a topic query" in text_of(ok(ack.json()))
    ack, _ = await harness.command("frobnicate now")
    assert "I don't know the command" in text_of(ok(ack.json()))
    await asyncio.sleep(0.05)
    assert harness.fake.answers() == [] and harness.fake.called("users.info") == []


async def test_researcher_pick_list_profile_and_follow_buttons(harness: Harness) -> None:
    ack, key = await harness.command("researcher Maria Garcia")
    assert ack.status_code == 200 and ack.content == b""  # a lookup may take a while: acked empty at once
    (picks,) = await harness.fake.wait_for_answers(1, key)
    assert "Several people match “Maria Garcia”" in text_of(ok(picks))
    profile = next(b for b in buttons(picks["blocks"]) if b["action_id"] == "radar_researcher"
                   and b["value"] == "A5100000002")

    (card,) = await harness.click(profile["action_id"], profile["value"])
    assert card["blocks"][0] == {"type": "header", "text": {"type": "plain_text", "text": "Maria Garcia",
                                                            "emoji": True}}
    assert "University of Toronto" in text_of(ok(card)) and "Kenji Tanaka (3)" in text_of(card)
    follow = next(b for b in buttons(card["blocks"]) if b["action_id"] == "radar_follow")

    (notice,) = await harness.click(follow["action_id"], follow["value"])
    assert "follows Maria Garcia (University of Toronto) as #1" in text_of(ok(notice, visible=True))
    assert f"<@{ADMIN}>" in text_of(notice)
    (record,) = await subscriptions(harness)
    assert (record.kind, record.openalex_id, record.created_by) == ("researcher", "A5100000002", ADMIN)


async def test_paper_card_links_and_follow_first_author(harness: Harness) -> None:
    (card,) = await harness.ask("paper 2401.01234")
    assert "Learning With Graphs" in text_of(ok(card))
    links = {b["text"]["text"]: b.get("url") for b in buttons(card["blocks"])}
    assert links["PDF"] == "https://arxiv.org/pdf/2401.01234" and str(links["Code"]).startswith("https://github.com/")
    # A link button still reports its click: acked, and nothing is answered.
    key, url = harness._response_url()
    from tests.slack.conftest import action_body

    body = action_body("radar_link_pdf", "", user=ADMIN, channel=CHANNEL, team=TEAM, response_url=url)
    assert (await harness.post("/slack/events", body, "application/x-www-form-urlencoded")).status_code == 200
    # When a source knows the first author, the card offers to follow them.
    known = v.PaperCard(title="T", canonical_id="arXiv:2401.01234", first_author_key="A5100000002")
    follow = next(b for b in buttons(render(known)[0].blocks) if b["action_id"] == "radar_follow")
    (notice,) = await harness.click(follow["action_id"], follow["value"])
    assert "follows Maria Garcia" in text_of(ok(notice, visible=True))
    await asyncio.sleep(0.05)
    assert harness.fake.answers(key) == []


async def test_trending(harness: Harness) -> None:
    (answer,) = await harness.ask("trending 2024-03-14")
    assert "Scaling Laws for Fish" in text_of(ok(answer)) and "▲57" in text_of(answer)


async def test_a_surge_past_the_backlog_is_told_busy_at_once_and_the_rest_answered(make_harness) -> None:  # type: ignore[no-untyped-def]
    """Two answers in progress fill a backlog of two: the next commands are acked with "busy, try again"
    (nothing queued behind, nothing changed), the two in progress still get their answers, and once they are
    done commands are taken again."""
    router, release = source_router(), asyncio.Event()
    day = router.routes[-1][2]  # Hugging Face's day of papers, answered only once the test releases it

    async def slow_day(request: Any) -> Any:
        await release.wait()
        return day(request)

    router.add("huggingface", "/api/daily_papers", slow_day)
    harness = await make_harness(router, RADAR_SLACK_ANSWER_BACKLOG="2")
    held = [await harness.command("trending 2024-03-14") for _ in range(2)]
    assert all(ack.status_code == 200 and ack.content == b"" for ack, _ in held)
    for text in ("trending 2024-03-14", "list", 'subscribe topic "diffusion models"'):
        ack, key = await harness.command(text)
        busy = ok(ack.json())
        assert "Paper Radar is busy right now" in text_of(busy) and "Try it again in a minute" in text_of(busy)
    assert await subscriptions(harness) == []  # the turned-away subscribe changed nothing
    release.set()
    for _, key in held:
        (answer,) = await harness.fake.wait_for_answers(1, key)
        assert "Scaling Laws for Fish" in text_of(ok(answer))
    await asyncio.sleep(0.05)
    (answer,) = await harness.ask('subscribe topic "diffusion models"')
    assert "Subscribed this channel to topic #1" in text_of(ok(answer, visible=True))


async def test_subscribe_is_visible_and_names_who_did_it(harness: Harness) -> None:
    # The first change needs users.info (role not cached yet): acked empty, answered through response_url.
    (first,) = await harness.ask('subscribe topic "graph neural networks" -survey')
    assert "Subscribed" in text_of(ok(first, visible=True)) and f"<@{ADMIN}>" in text_of(first)
    # Changes are always answered after an empty ack (the ack never waits on the database); the role is cached.
    ack, key = await harness.command("subscribe category cs.LG")
    assert ack.status_code == 200 and ack.content == b""
    (second,) = await harness.fake.wait_for_answers(1, key)
    assert "cs.LG" in text_of(ok(second, visible=True))
    assert len(harness.fake.called("users.info")) == 1
    assert [s.kind for s in await subscriptions(harness)] == ["topic", "category"]


async def test_list_and_unsubscribe_button(harness: Harness) -> None:
    await harness.ask("subscribe category cs.LG")
    await harness.ask("subscribe category cs.RO")
    (listed,) = await harness.ask("list")
    removers = [b for b in buttons(listed["blocks"]) if b["action_id"] == "radar_unsubscribe"]
    assert [b["value"] for b in removers] == ["1", "2"] and all(b["confirm"] for b in removers)

    (notice,) = await harness.click("radar_unsubscribe", "1")
    assert "Removed #1" in text_of(ok(notice, visible=True)) and f"<@{ADMIN}>" in text_of(notice)
    assert [s.number for s in await subscriptions(harness)] == [2]


async def test_members_cannot_change_the_channel_managers_can(harness: Harness) -> None:
    (denied,) = await harness.ask("subscribe category cs.LG", user=MEMBER)
    assert "You can't change this channel" in text_of(ok(denied))
    (denied,) = await harness.click("radar_unsubscribe", "1", user=MEMBER)
    assert "You can't change this channel" in text_of(ok(denied))
    assert await subscriptions(harness) == []
    # Listed in SLACK_MANAGERS: allowed without asking users.info.
    lookups = len(harness.fake.called("users.info"))
    (allowed,) = await harness.ask("subscribe category cs.LG", user=MANAGER)
    assert "cs.LG" in text_of(ok(allowed, visible=True)) and f"<@{MANAGER}>" in text_of(allowed)
    assert len(harness.fake.called("users.info")) == lookups and len(await subscriptions(harness)) == 1
    # Anyone may look.
    (listed,) = await harness.ask("list", user=MEMBER)
    assert "cs.LG" in text_of(ok(listed))


async def test_settings_and_status(harness: Harness) -> None:
    (settings,) = await harness.ask("settings")
    assert "*Time*\\n08:00 (UTC)" in text_of(ok(settings))
    (changed,) = await harness.ask("settings timezone Europe/Paris")
    assert "Changed the time zone" in text_of(ok(changed, visible=True)) and "Europe/Paris" in text_of(changed)
    (answer,) = await harness.ask("status")
    status = text_of(ok(answer))
    assert "Paper Radar status" in status and "*Subscriptions*\\n0" in status


async def test_digest_preview_now_and_more(harness: Harness) -> None:
    await add_papers(harness.app, 8)
    await harness.ask("subscribe category cs.LG")
    await harness.ask("settings max 3")
    (preview,) = await harness.ask("digest preview")
    assert "Preview: only you see this" in text_of(ok(preview))
    assert len(re.findall(r"\*\d\. <https://arxiv", text_of(preview))) == 3
    assert harness.fake.posts() == []

    (sent,) = await harness.ask("digest now")
    assert "Sent the digest: 3 new papers" in text_of(ok(sent))
    (top,) = harness.fake.posts(CHANNEL)
    check_message(top)
    more = next(b for b in buttons(top["blocks"]) if b["action_id"] == "radar_digest_more")
    (extra,) = await harness.click(more["action_id"], more["value"])
    assert len(re.findall(r"\*\d\. <https://arxiv", text_of(ok(extra)))) == 3
    (last,) = await harness.ask("digest more")
    assert len(re.findall(r"\*\d\. <https://arxiv", text_of(ok(last)))) == 2
    (none_left,) = await harness.ask("digest more")
    assert "No more papers" in text_of(ok(none_left))


async def test_export_then_import_into_another_channel(harness: Harness) -> None:
    await harness.ask('subscribe topic diffusion -"medical imaging"')
    await harness.ask("subscribe category cs.RO")
    (exported,) = await harness.ask("export")
    ok(exported)
    code = "".join(b["text"]["text"].strip("`") for b in exported["blocks"] if b["text"]["text"].startswith("```"))
    payload = code.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    assert json.loads(payload)["subscriptions"]
    (report,) = await harness.ask(f"import {payload}", channel="C0000002")
    assert "Imported 2 subscriptions" in text_of(ok(report, visible=True))
    assert sorted(s.kind for s in await subscriptions(harness, "C0000002")) == ["category", "topic"]


async def test_broadcasts_and_mentions_in_user_text_cannot_ping(harness: Harness) -> None:
    (answer,) = await harness.ask("subscribe topic <!channel> @here <@U0BADBAD1> diffusion")
    (listed_message,) = await harness.ask("list")
    for message in (answer, listed_message):
        check_message(message, may_mention=(ADMIN,))  # fails on any broadcast or foreign mention
    listed = text_of(listed_message)
    assert "&lt;!channel&gt;" in listed and "@\u200dhere" in listed and "&lt;@U0BADBAD1&gt;" in listed
    (record,) = await subscriptions(harness)
    assert record.query == "<!channel> @here <@U0BADBAD1> diffusion"  # stored as typed, escaped on the way out


async def test_bad_signature_and_stale_timestamp_are_refused_with_nothing_changed(harness: Harness) -> None:
    wrong, _ = await harness.command("subscribe category cs.LG", signature="v0=" + "0" * 64)
    stale, _ = await harness.command("subscribe category cs.LG", timestamp=int(time.time()) - 360)
    other_secret, _ = await harness.command("subscribe category cs.LG", secret="not-our-secret")
    assert [wrong.status_code, stale.status_code, other_secret.status_code] == [401, 401, 401]
    uninstall = json.dumps({"type": "event_callback", "team_id": TEAM, "event": {"type": "app_uninstalled"}})
    refused = await harness.post("/slack/events", uninstall, "application/json", signature="v0=" + "1" * 64)
    assert refused.status_code == 401
    await asyncio.sleep(0.1)
    async with harness.app.db.session() as session:
        assert (await session.exec(select(DestinationRow))).all() == []
    assert harness.fake.calls == [] and harness.fake.answers() == []


async def test_help_in_the_ack_is_core_s_answer_through_the_door(harness: Harness, monkeypatch: Any) -> None:
    """The adapter does not answer help itself: it asks core through `handle`, and only the ack is fast."""
    import bots.slack.listeners as listeners
    from core.commands import Help
    from core.help import help_view

    asked: list[Any] = []
    door = listeners.handle

    async def recording(command: Any, actor: Any, where: Any, *, app: Any = None) -> v.View:
        asked.append(command)
        return await door(command, actor, where, app=app)

    monkeypatch.setattr(listeners, "handle", recording)
    ack, _ = await harness.command("help subscribe")
    assert asked == [Help("subscribe")]
    view = help_view("subscribe")
    assert view is not None and text_of(ok(ack.json())) == text_of(render(view)[0].payload())
    # A topic core does not know is core's Problem, in the ack as well.
    ack, _ = await harness.command("help teleport")
    assert "There is no command `teleport`" in text_of(ok(ack.json()))
    await asyncio.sleep(0.05)
    assert harness.fake.answers() == [] and harness.fake.called("users.info") == []
