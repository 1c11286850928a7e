"""`follow citations <researcher>` and its "New citations" section through the real bolt app: the command, then
digests posted into the loopback Slack, within Block Kit's limits with every paper's 👍/👎, each citation once."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from bots.slack.actions import ACTION_RATE_LIKE
from core.model.context import Destination
from core.storage import repos
from tests.digest.test_researcher_citations import AUTHOR, SENTENCE, _router
from tests.slack.blockcheck import check_message
from tests.slack.conftest import CHANNEL, TEAM, buttons, text_of


async def test_followed_citations_come_in_posted_digests_once(make_harness: Any, recordings: Path) -> None:
    harness = await make_harness(_router(recordings), OPENALEX_API_KEY="k")
    (notice,) = await harness.ask(f"follow citations {AUTHOR}")
    assert notice["response_type"] == "in_channel"
    assert "new citations of Jason Priem's work as #1" in text_of(notice)
    async with harness.app.db.session() as session:
        row = await repos.ensure_destination(session, Destination("slack", TEAM, CHANNEL))
        row.last_digest_at = harness.app.now() - timedelta(days=1)
        session.add(row)
        await session.commit()

    await harness.ask("digest now")
    first = harness.fake.posts(CHANNEL)
    assert first
    for message in first:
        check_message(message)
    text = "\n".join(json.dumps(m["blocks"], ensure_ascii=False) for m in first)
    assert "*New citations*" in text and "cites Jason Priem's *The state of OA" in text
    assert f":speech_balloon: “{SENTENCE}" in text
    rated = [b["value"] for m in first for b in buttons(m["blocks"]) if b["action_id"] == ACTION_RATE_LIKE]
    assert len(rated) == 10 and len(set(rated)) == 10

    await harness.ask("digest now")
    second = harness.fake.posts(CHANNEL)[len(first):]
    again = [b["value"] for m in second for b in buttons(m["blocks"]) if b["action_id"] == ACTION_RATE_LIKE]
    assert again and not set(again) & set(rated)  # the next ten, none of the first again
