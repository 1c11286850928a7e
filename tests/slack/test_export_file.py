"""`/radar export` of a large channel arrives as one file (files upload, as Discord attaches it), through the
real bolt app and the fake Slack's files.getUploadURLExternal, upload URL and files.completeUploadExternal."""

from __future__ import annotations

import json

from core.model.context import Destination
from core.storage import channels
from tests.slack.blockcheck import check_message
from tests.slack.conftest import ADMIN, CHANNEL, Harness, text_of
from tests.slack.fake_slack import TEAM

TOPICS = 60


async def _many_topics(harness: Harness) -> None:
    async with harness.app.db.session() as session:
        channel = await channels.ensure_channel(session, Destination("slack", TEAM, CHANNEL))
        for n in range(TOPICS):
            query = f'"topic number {n}" ' + " ".join(f"word{n}x{i}" for i in range(20))
            await channels.add_subscription(session, channel.id, kind="topic", query=query, created_by=ADMIN)
        await session.commit()


async def test_a_large_export_is_one_file(harness: Harness) -> None:
    await _many_topics(harness)
    answers = await harness.ask("export")
    (told,) = answers
    check_message(told, may_mention=(ADMIN,))
    assert "attached as a file" in text_of(told) and "```" not in text_of(told)
    (shared,) = harness.fake.shared_files()
    assert shared["channel"] == CHANNEL and shared["title"] == f"Paper Radar export ({TOPICS} subscriptions)"
    assert f"<@{ADMIN}>" in shared["comment"]
    exported = json.loads(shared["content"])
    assert exported["format"] == "paper-radar/1" and len(exported["subscriptions"]) == TOPICS


async def test_a_refused_upload_still_answers_with_the_whole_export(harness: Harness) -> None:
    await _many_topics(harness)
    harness.fake.files_error = "missing_scope"
    _ack, key = await harness.command("export")
    answers = await harness.fake.wait_for_answers(2, key, settle=0.3)
    code = "".join(b["text"]["text"].strip("`") for m in answers for b in m["blocks"]
                   if b.get("text") and b["text"]["text"].startswith("```"))
    assert harness.fake.shared_files() == [] and code.count('"kind": "topic"') == TOPICS


async def test_a_small_export_stays_a_message(harness: Harness) -> None:
    await harness.ask("subscribe topic diffusion")
    (exported,) = await harness.ask("export")
    assert "```" in text_of(exported) and harness.fake.called("files.getUploadURLExternal") == []
